#include "daemon/session/plugin_flags.h"

#include <CLI/CLI.hpp>

namespace deltascope {

void AddPluginFlags(CLI::App& app, PluginOptions& options) {
  app.add_option("--plugin-dir", options.plugin_dirs,
                 "Folder of *.plugin.yaml manifests (or one manifest), searched first; repeatable")
      ->allow_extra_args(false);  // one value each time: `check --plugin-dir . NAME` names a plugin
  app.add_option("--python", options.python,
                 "Python interpreter whose deltascope.plugins entry points are plugins; "
                 "repeatable (default: $DELTASCOPE_PYTHON, colon-separated; else the active "
                 "virtual environment's python and python3 on PATH)")
      ->allow_extra_args(false);
  app.add_option("--sandbox", options.sandbox,
                 "Sandbox for plugins: strict, standard (default) or off; when given, no "
                 "manifest can loosen it")
      ->envname("DELTASCOPE_SANDBOX");
  app.add_option("--plugin-limits", options.limits,
                 "Ceiling on plugin limits, e.g. call_timeout=30s,memory=1GiB,reply_nodes=5000 "
                 "(any key of a manifest's limits:); no manifest can raise it. Over "
                 "$DELTASCOPE_PLUGIN_LIMITS, over the config's plugins.limits")
      ->type_name("KEY=VALUE,...");
  app.add_flag_callback(
      "--no-plugins", [&options] { options.enabled = false; }, "Use only the built-in comparators");
  app.add_flag("--no-python-plugins", options.no_python_plugins,
               "Look for no Python entry points (also $DELTASCOPE_NO_PYTHON_PLUGINS=1)");
  app.add_flag("--require-signed", options.require_signed,
               "Use only plugins signed by a trusted key (deltascope plugins sign)");
  app.add_option("--trusted-key", options.trusted_keys,
                 "Public key (PEM, from deltascope plugins keygen) whose signatures are "
                 "trusted; repeatable")
      ->allow_extra_args(false);
}

}  // namespace deltascope

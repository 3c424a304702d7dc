// The plugin flags both front ends take (`deltascope diff`, `deltascope plugins ...`,
// deltascoped), declared once: --plugin-dir, --python, --no-python-plugins, --sandbox,
// --plugin-limits, --no-plugins, --require-signed, --trusted-key. They fill PluginOptions
// directly; what only one front end has (the CLI's --plugin-logs, the daemon's
// --quarantine-seconds) it declares itself.
#ifndef DELTASCOPE_DAEMON_SESSION_PLUGIN_FLAGS_H_
#define DELTASCOPE_DAEMON_SESSION_PLUGIN_FLAGS_H_

#include "daemon/session/plugin_options.h"

namespace CLI {
class App;
}  // namespace CLI

namespace deltascope {

// Declares the shared plugin flags on `app`; parsing it writes them into `options`, which must
// outlive the parse.
void AddPluginFlags(CLI::App& app, PluginOptions& options);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_SESSION_PLUGIN_FLAGS_H_

// The "ini" comparator: INI files (.ini) and Java properties files (.properties), setting by
// setting: sections and keys added and removed, values changed, key order and comments
// (clerical). Content that is not a settings file is skipped, so the host falls back to its
// text comparator; so is a file with more settings than the plugin keeps (ini_file.h).
#ifndef DELTASCOPE_EXAMPLES_PLUGINS_INI_CPP_INI_COMPARATOR_H_
#define DELTASCOPE_EXAMPLES_PLUGINS_INI_CPP_INI_COMPARATOR_H_

#include "deltascope/plugin/sdk.h"

namespace deltascope::ini_plugin {

class IniComparator : public plugin::Comparator {
 public:
  plugin::Descriptor Describe() const override {
    return {.name = "ini", .extensions = {".ini", ".properties"}};
  }
  // Option "debug_throw" (any value) throws, to exercise the SDK's error path.
  plugin::Result Compare(const plugin::Pair& pair, plugin::Context& ctx) override;
};

}  // namespace deltascope::ini_plugin

#endif  // DELTASCOPE_EXAMPLES_PLUGINS_INI_CPP_INI_COMPARATOR_H_

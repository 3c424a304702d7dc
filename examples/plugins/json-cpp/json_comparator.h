// The "json" comparator: JSON documents (.json) key by key, JSON Lines (.jsonl) record by record.
// Content that does not parse is skipped, so the host falls back to its text comparator.
#ifndef DELTASCOPE_EXAMPLES_PLUGINS_JSON_CPP_JSON_COMPARATOR_H_
#define DELTASCOPE_EXAMPLES_PLUGINS_JSON_CPP_JSON_COMPARATOR_H_

#include "deltascope/plugin/sdk.h"

namespace deltascope::json_plugin {

class JsonComparator : public plugin::Comparator {
 public:
  plugin::Descriptor Describe() const override {
    return {.name = "json", .extensions = {".json", ".jsonl"}, .media_types = {"application/json"}};
  }
  // Option "debug_throw" (any value) throws, to exercise the SDK's error path.
  plugin::Result Compare(const plugin::Pair& pair, plugin::Context& ctx) override;
};

}  // namespace deltascope::json_plugin

#endif  // DELTASCOPE_EXAMPLES_PLUGINS_JSON_CPP_JSON_COMPARATOR_H_

// The one YAML schema toolkit of the files deltascope reads (plugin manifests, the config): the
// same rules and the same one-line "LABEL:LINE: reason" errors everywhere. A mapping's keys are
// names, each once, from a known set; a single value is never a list or mapping, and a list is
// never a single value unless the field says "one or a list" (OneOrList). No yaml-cpp exception
// escapes: every malformed or mistyped value is an error naming its line.
#ifndef DELTASCOPE_DAEMON_UTIL_YAML_SCHEMA_H_
#define DELTASCOPE_DAEMON_UTIL_YAML_SCHEMA_H_

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace deltascope::yaml {

// Builds "label:line: message" errors (lines counted from 1; 1 when the node has no position).
class Errors {
 public:
  explicit Errors(std::string label) : label_(std::move(label)) {}
  absl::Status At(const YAML::Node& node, absl::string_view message) const;
  absl::Status AtLine(int zero_based_line, absl::string_view message) const;

 private:
  std::string label_;
};

// Parses YAML text; malformed text (or nesting past yaml-cpp's depth guard) is an error at its
// line reading "malformed YAML: ...". Empty text is a null node.
absl::StatusOr<YAML::Node> Load(const std::string& text, const Errors& errors);

// Fails unless `map` is a mapping whose keys are single values from `known` (listed in the error,
// in the order given), none repeated. `where` completes the sentences: "in the manifest",
// "under 'output'".
absl::Status CheckKeys(const YAML::Node& map, const std::vector<std::string>& known,
                       absl::string_view where, const Errors& errors);

// A single value (string, number or true/false as written); `what` names the field in errors.
absl::StatusOr<std::string> String(const YAML::Node& node, absl::string_view what,
                                   const Errors& errors);
// A list of single values.
absl::StatusOr<std::vector<std::string>> List(const YAML::Node& node, absl::string_view what,
                                              const Errors& errors);
// A list of single values, or one value standing for a list of one.
absl::StatusOr<std::vector<std::string>> OneOrList(const YAML::Node& node, absl::string_view what,
                                                   const Errors& errors);
// true/false (also yes/no, on/off), in any case.
absl::StatusOr<bool> Bool(const YAML::Node& node, absl::string_view what, const Errors& errors);
// A whole number of at least `min`.
absl::StatusOr<uint64_t> Count(const YAML::Node& node, absl::string_view what, uint64_t min,
                               const Errors& errors);
// A mapping of single values to single values, in file order, no key repeated.
struct Pair {
  std::string key, value;
  YAML::Node key_node;  // for errors about the entry
};
absl::StatusOr<std::vector<Pair>> Pairs(const YAML::Node& node, absl::string_view what,
                                        const Errors& errors);

}  // namespace deltascope::yaml

#endif  // DELTASCOPE_DAEMON_UTIL_YAML_SCHEMA_H_

#include "daemon/util/yaml_schema.h"

#include <yaml-cpp/depthguard.h>

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace deltascope::yaml {

absl::Status Errors::At(const YAML::Node& node, absl::string_view message) const {
  return AtLine(node.IsDefined() ? node.Mark().line : -1, message);
}

absl::Status Errors::AtLine(int zero_based_line, absl::string_view message) const {
  const int line = zero_based_line >= 0 ? zero_based_line + 1 : 1;
  return absl::InvalidArgumentError(absl::StrCat(label_, ":", line, ": ", message));
}

absl::StatusOr<YAML::Node> Load(const std::string& text, const Errors& errors) {
  try {
    return YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {  // its message is yaml-cpp's misleading "bad file"
    return errors.AtLine(
        e.mark.line, absl::StrCat("malformed YAML: nested more than ", e.depth(), " levels deep"));
  } catch (const YAML::Exception& e) {
    return errors.AtLine(e.mark.line, absl::StrCat("malformed YAML: ", e.msg));
  }
}

absl::Status CheckKeys(const YAML::Node& map, const std::vector<std::string>& known,
                       absl::string_view where, const Errors& errors) {
  if (!map.IsMap()) return errors.At(map, absl::StrCat(where, " must be a mapping"));
  std::set<std::string> seen;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) {
      return errors.At(kv.first, absl::StrCat("keys ", where, " must be names"));
    }
    const std::string& key = kv.first.Scalar();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return errors.At(kv.first, absl::StrCat("unknown key '", key, "' ", where,
                                              " (known: ", absl::StrJoin(known, ", "), ")"));
    }
    if (!seen.insert(key).second) {
      return errors.At(kv.first, absl::StrCat("key '", key, "' repeated ", where));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> String(const YAML::Node& node, absl::string_view what,
                                   const Errors& errors) {
  if (!node.IsScalar()) return errors.At(node, absl::StrCat("'", what, "' must be a string"));
  return node.Scalar();
}

absl::StatusOr<std::vector<std::string>> List(const YAML::Node& node, absl::string_view what,
                                              const Errors& errors) {
  const std::string wrong = absl::StrCat("'", what, "' must be a list of strings");
  if (!node.IsSequence()) return errors.At(node, wrong);
  std::vector<std::string> out;
  for (const auto& item : node) {
    if (!item.IsScalar()) return errors.At(item, wrong);
    out.push_back(item.Scalar());
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> OneOrList(const YAML::Node& node, absl::string_view what,
                                                   const Errors& errors) {
  if (node.IsScalar()) return std::vector<std::string>{node.Scalar()};
  return List(node, what, errors);
}

absl::StatusOr<bool> Bool(const YAML::Node& node, absl::string_view what, const Errors& errors) {
  const std::string v = node.IsScalar() ? absl::AsciiStrToLower(node.Scalar()) : "";
  if (v == "true" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "no" || v == "off") return false;
  return errors.At(node, absl::StrCat("'", what, "' must be true or false"));
}

absl::StatusOr<uint64_t> Count(const YAML::Node& node, absl::string_view what, uint64_t min,
                               const Errors& errors) {
  uint64_t n = 0;
  if (!node.IsScalar() || !absl::SimpleAtoi(node.Scalar(), &n) || n < min) {
    return errors.At(node, absl::StrCat("'", what, "' must be a whole number of at least ", min));
  }
  return n;
}

absl::StatusOr<std::vector<Pair>> Pairs(const YAML::Node& node, absl::string_view what,
                                        const Errors& errors) {
  if (!node.IsMap()) return errors.At(node, absl::StrCat("'", what, "' must be a mapping"));
  std::set<std::string> seen;
  std::vector<Pair> out;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar() || !kv.second.IsScalar()) {
      return errors.At(kv.second.IsDefined() ? kv.second : kv.first,
                       absl::StrCat("'", what, "' entries must be 'key: value'"));
    }
    if (!seen.insert(kv.first.Scalar()).second) {
      return errors.At(kv.first,
                       absl::StrCat("key '", kv.first.Scalar(), "' repeated in '", what, "'"));
    }
    out.push_back({kv.first.Scalar(), kv.second.Scalar(), kv.first});
  }
  return out;
}

}  // namespace deltascope::yaml

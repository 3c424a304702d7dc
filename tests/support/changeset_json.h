// Reading JSON changesets (docs/changeset.md) in tests: which paths a run reported.
#ifndef DELTASCOPE_TESTS_SUPPORT_CHANGESET_JSON_H_
#define DELTASCOPE_TESTS_SUPPORT_CHANGESET_JSON_H_

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

namespace deltascope::testing {

// Every node of the tree under `node` (itself included), by path.
inline void CollectNodes(const nlohmann::json& node, std::map<std::string, nlohmann::json>& out) {
  if (!node.is_object()) return;
  nlohmann::json flat = node;
  flat.erase("children");
  out[node.value("path", "")] = std::move(flat);
  if (node.contains("children")) {
    for (const nlohmann::json& child : node["children"]) CollectNodes(child, out);
  }
}

// The changeset's nodes by path, without their children.
inline std::map<std::string, nlohmann::json> NodesByPath(const nlohmann::json& changeset) {
  std::map<std::string, nlohmann::json> out;
  if (changeset.contains("root")) CollectNodes(changeset["root"], out);
  return out;
}

// Paths the changeset's diagnostics name.
inline std::set<std::string> DiagnosticPaths(const nlohmann::json& changeset) {
  std::set<std::string> out;
  if (!changeset.contains("diagnostics")) return out;
  for (const nlohmann::json& d : changeset["diagnostics"]) out.insert(d.value("path", ""));
  return out;
}

}  // namespace deltascope::testing

#endif  // DELTASCOPE_TESTS_SUPPORT_CHANGESET_JSON_H_

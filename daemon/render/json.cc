#include "daemon/render/json.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "daemon/util/untrusted_text.h"

namespace deltascope {
namespace {

using changeset::v1::Diagnostic;
using changeset::v1::DiffNode;
using changeset::v1::Severity;
using Json = nlohmann::json;  // std::map objects: keys come out sorted

Json ValueToJson(const google::protobuf::Value& v) {
  switch (v.kind_case()) {
    case google::protobuf::Value::kNumberValue: {
      double d = v.number_value();
      if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9007199254740992.0) {
        return static_cast<int64_t>(d);
      }
      return d;
    }
    case google::protobuf::Value::kStringValue:
      return v.string_value();
    case google::protobuf::Value::kBoolValue:
      return v.bool_value();
    case google::protobuf::Value::kStructValue: {
      Json obj = Json::object();
      for (const auto& [k, field] : v.struct_value().fields()) obj[k] = ValueToJson(field);
      return obj;
    }
    case google::protobuf::Value::kListValue: {
      Json arr = Json::array();
      for (const auto& item : v.list_value().values()) arr.push_back(ValueToJson(item));
      return arr;
    }
    default:
      return nullptr;
  }
}

google::protobuf::Value JsonToValue(const Json& j) {
  google::protobuf::Value v;
  if (j.is_null()) {
    v.set_null_value(google::protobuf::NULL_VALUE);
  } else if (j.is_boolean()) {
    v.set_bool_value(j.get<bool>());
  } else if (j.is_number()) {
    v.set_number_value(j.get<double>());
  } else if (j.is_string()) {
    v.set_string_value(j.get<std::string>());
  } else if (j.is_array()) {
    v.mutable_list_value();  // an empty list stays a list, not null
    for (const Json& item : j) *v.mutable_list_value()->add_values() = JsonToValue(item);
  } else {
    v.mutable_struct_value();
    for (const auto& [k, item] : j.items()) {
      (*v.mutable_struct_value()->mutable_fields())[k] = JsonToValue(item);
    }
  }
  return v;
}

const char* SeverityName(Severity s) {
  switch (s) {
    case changeset::v1::SEVERITY_INFO:
      return "info";
    case changeset::v1::SEVERITY_WARNING:
      return "warning";
    case changeset::v1::SEVERITY_ERROR:
      return "error";
    default:
      return "unspecified";
  }
}

Severity SeverityFromName(const std::string& s) {
  if (s == "info") return changeset::v1::SEVERITY_INFO;
  if (s == "warning") return changeset::v1::SEVERITY_WARNING;
  if (s == "error") return changeset::v1::SEVERITY_ERROR;
  return changeset::v1::SEVERITY_UNSPECIFIED;
}

void PutIfSet(Json& obj, const char* key, const std::string& value) {
  if (!value.empty()) obj[key] = value;
}

Json NodeToJson(const DiffNode& node) {
  Json obj = Json::object();
  PutIfSet(obj, "action", node.action());
  PutIfSet(obj, "item_type", node.item_type());
  obj["path"] = node.path();  // always present: the root's path is ""
  PutIfSet(obj, "source_path", node.source_path());
  PutIfSet(obj, "summary", node.summary());
  PutIfSet(obj, "comparator", node.comparator());
  if (node.tags_size() > 0)
    obj["tags"] = std::vector<std::string>(node.tags().begin(), node.tags().end());
  if (node.details().fields_size() > 0) {
    Json details = Json::object();
    for (const auto& [k, v] : node.details().fields()) details[k] = ValueToJson(v);
    obj["details"] = std::move(details);
  }
  if (node.children_size() > 0) {
    Json children = Json::array();
    for (const DiffNode& child : node.children()) children.push_back(NodeToJson(child));
    obj["children"] = std::move(children);
  }
  return obj;
}

Json ChangesetToJson(const Changeset& cs) {
  Json obj = Json::object();
  obj["from_snapshot"] = cs.from_snapshot();
  obj["to_snapshot"] = cs.to_snapshot();
  obj["root"] = cs.has_root() ? NodeToJson(cs.root()) : Json(nullptr);
  if (cs.diagnostics_size() > 0) {
    Json diags = Json::array();
    for (const Diagnostic& d : cs.diagnostics()) {
      Json dj = Json::object();
      dj["severity"] = SeverityName(d.severity());
      dj["code"] = d.code();
      dj["message"] = d.message();
      dj["path"] = d.path();
      diags.push_back(std::move(dj));
    }
    obj["diagnostics"] = std::move(diags);
  }
  return obj;
}

std::string GetString(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

absl::StatusOr<DiffNode> NodeFromJson(const Json& j, absl::string_view source) {
  if (!j.is_object())
    return absl::InvalidArgumentError(absl::StrCat(source, ": node is not an object"));
  DiffNode node;
  node.set_action(GetString(j, "action"));
  node.set_item_type(GetString(j, "item_type"));
  node.set_path(GetString(j, "path"));
  node.set_source_path(GetString(j, "source_path"));
  node.set_summary(GetString(j, "summary"));
  node.set_comparator(GetString(j, "comparator"));
  if (auto it = j.find("tags"); it != j.end() && it->is_array()) {
    for (const Json& t : *it) {
      if (t.is_string()) node.add_tags(t.get<std::string>());
    }
  }
  if (auto it = j.find("details"); it != j.end() && it->is_object()) {
    *node.mutable_details() = JsonToValue(*it).struct_value();
  }
  if (auto it = j.find("children"); it != j.end() && it->is_array()) {
    for (const Json& c : *it) {
      absl::StatusOr<DiffNode> child = NodeFromJson(c, source);
      if (!child.ok()) return child.status();
      *node.add_children() = std::move(*child);
    }
  }
  return node;
}

absl::StatusOr<Changeset> ChangesetFromJson(const Json& j, absl::string_view source) {
  if (!j.is_object() || !j.contains("from_snapshot") || !j.contains("to_snapshot")) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": not a changeset (expected from_snapshot and to_snapshot)"));
  }
  Changeset cs;
  cs.set_from_snapshot(GetString(j, "from_snapshot"));
  cs.set_to_snapshot(GetString(j, "to_snapshot"));
  if (auto it = j.find("root"); it != j.end() && !it->is_null()) {
    absl::StatusOr<DiffNode> root = NodeFromJson(*it, source);
    if (!root.ok()) return root.status();
    *cs.mutable_root() = std::move(*root);
  }
  if (auto it = j.find("diagnostics"); it != j.end() && it->is_array()) {
    for (const Json& dj : *it) {
      if (!dj.is_object()) continue;
      Diagnostic* d = cs.add_diagnostics();
      d->set_severity(SeverityFromName(GetString(dj, "severity")));
      d->set_code(GetString(dj, "code"));
      d->set_message(GetString(dj, "message"));
      d->set_path(GetString(dj, "path"));
    }
  }
  return cs;
}

}  // namespace

std::string RenderJson(const std::vector<Changeset>& changesets) {
  Json out;
  if (changesets.size() == 1) {
    out = ChangesetToJson(changesets[0]);
  } else {
    out = Json::array();
    for (const Changeset& cs : changesets) out.push_back(ChangesetToJson(cs));
  }
  // Invalid UTF-8 (odd file names) is replaced, never thrown on. Control characters are escaped
  // (U+0000-U+001F by the JSON writer, DEL, C1 and bidi controls by EscapeJsonInvisibles), so
  // the exact strings survive a round trip and none reaches a terminal raw.
  return EscapeJsonInvisibles(out.dump(2, ' ', false, Json::error_handler_t::replace)) + "\n";
}

std::string RenderCompactJson(const std::vector<Changeset>& changesets) {
  Json out = Json::array();
  for (const Changeset& cs : changesets) out.push_back(ChangesetToJson(cs));
  return EscapeJsonInvisibles(out.dump(-1, ' ', false, Json::error_handler_t::replace));
}

absl::StatusOr<std::vector<Changeset>> ParseJson(absl::string_view text, absl::string_view source) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": not valid JSON"));
  }
  std::vector<Changeset> out;
  if (j.is_array()) {
    for (const Json& item : j) {
      absl::StatusOr<Changeset> cs = ChangesetFromJson(item, source);
      if (!cs.ok()) return cs.status();
      out.push_back(std::move(*cs));
    }
  } else {
    absl::StatusOr<Changeset> cs = ChangesetFromJson(j, source);
    if (!cs.ok()) return cs.status();
    out.push_back(std::move(*cs));
  }
  return out;
}

}  // namespace deltascope

#include "daemon/stdlib/json_tree.h"

#include <fcntl.h>
#include <xxhash.h>

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "daemon/engine/node_util.h"
#include "daemon/util/fd.h"

namespace deltascope {
namespace {

// Seeds that keep values of different types apart in the hash.
constexpr uint64_t kObjectSeed = 0x6f626a656374ull;

// A number's canonical spelling, for the hash: integral values as integers, others as the
// shortest round-trip form.
std::string CanonicalNumber(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 9.2e18) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  return absl::StrFormat("%.17g", value);
}

// nlohmann's message without its exception tag and the bytes it last read (file content, which
// may be long or not UTF-8): "at line 3, column 5: syntax error while parsing object - ...".
std::string ParseErrorReason(std::string_view what) {
  if (size_t tag = what.find("] "); what.starts_with("[json.exception") && tag != what.npos) {
    what.remove_prefix(tag + 2);
  }
  if (what.starts_with("parse error ")) what.remove_prefix(strlen("parse error "));
  if (size_t last = what.find("; last read:"); last != what.npos) what = what.substr(0, last);
  return std::string(what);
}

void AppendQuoted(std::string_view s, std::string& out) {
  out.push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void AppendCompact(const JsonTree& tree, uint32_t node, size_t limit, std::string& out) {
  if (out.size() > limit) return;  // also bounds the recursion: each level writes a byte
  switch (tree.type(node)) {
    case JsonType::kString:
      AppendQuoted(tree.Text(node), out);
      return;
    case JsonType::kArray:
    case JsonType::kObject: {
      const bool object = tree.type(node) == JsonType::kObject;
      out.push_back(object ? '{' : '[');
      for (uint32_t c = tree.FirstChild(node); c < tree.End(node); c = tree.NextSibling(c)) {
        if (out.size() > limit) return;
        if (c != tree.FirstChild(node)) out.push_back(',');
        if (object) {
          AppendQuoted(tree.Key(c), out);
          out.push_back(':');
        }
        AppendCompact(tree, c, limit, out);
      }
      out.push_back(object ? '}' : ']');
      return;
    }
    default:
      out += tree.Text(node);
  }
}

absl::StatusOr<std::string> ReadCapped(const std::filesystem::path& path, uint64_t max_bytes) {
  uint64_t size = 0;
  absl::StatusOr<UniqueFd> fd = OpenForReadingAt(AT_FDCWD, path.c_str(), path, &size);
  if (!fd.ok()) return fd.status();
  const std::string too_large = absl::StrCat("larger than ", HumanSize(max_bytes));
  if (size > max_bytes) return absl::ResourceExhaustedError(too_large);
  std::string text;
  text.reserve(size);
  char chunk[1 << 16];
  while (true) {
    absl::StatusOr<size_t> n = ReadFully(fd->get(), chunk, sizeof chunk);
    if (!n.ok()) return n.status();
    text.append(chunk, *n);
    if (text.size() > max_bytes) return absl::ResourceExhaustedError(too_large);
    if (*n < sizeof chunk) return text;
  }
}

}  // namespace

const char* JsonTypeName(JsonType type) {
  switch (type) {
    case JsonType::kNull:
      return "null";
    case JsonType::kBool:
      return "boolean";
    case JsonType::kNumber:
      return "number";
    case JsonType::kString:
      return "string";
    case JsonType::kArray:
      return "array";
    case JsonType::kObject:
      return "object";
  }
  return "value";
}

// The SAX handler nlohmann's parser calls: appends nodes in document order, closing containers
// (and hashing them) on their end event.
class JsonTree::Builder {
 public:
  Builder(JsonTree& tree, const JsonLimits& limits) : tree_(tree), limits_(limits) {}

  bool null() { return Scalar(JsonType::kNull, kNone, "null"); }
  bool boolean(bool value) {
    return Scalar(JsonType::kBool, value ? 1 : 0, value ? "true" : "false");
  }
  bool number_integer(int64_t value) { return Number(absl::StrCat(value), std::nullopt); }
  bool number_unsigned(uint64_t value) { return Number(absl::StrCat(value), std::nullopt); }
  bool number_float(double value, const std::string& raw) {
    return Number(raw, CanonicalNumber(value));
  }
  bool string(std::string& value) { return Scalar(JsonType::kString, Intern(value), value); }
  bool binary(nlohmann::json::binary_t&) { return false; }  // never in JSON text
  bool key(std::string& name) {
    pending_key_ = Intern(name);
    return true;
  }
  bool start_object(size_t) { return Open(JsonType::kObject); }
  bool start_array(size_t) { return Open(JsonType::kArray); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }
  bool parse_error(size_t, const std::string&, const nlohmann::detail::exception& e) {
    error_ = ParseErrorReason(e.what());
    return false;
  }

  // Runs the parser over one value's text; the status says why it failed ("" prefix for a
  // document, "line N: " for JSON Lines).
  absl::Status ParseValue(std::string_view text, const std::string& where) {
    if (nlohmann::json::sax_parse(text.begin(), text.end(), this)) return absl::OkStatus();
    if (too_many_values_) {
      return absl::ResourceExhaustedError(
          absl::StrCat("more than ", limits_.max_values, " values"));
    }
    if (error_.empty()) error_ = "unexpected content";
    return absl::FailedPreconditionError(absl::StrCat("not valid JSON: ", where, error_));
  }

  bool Open(JsonType type) {
    if (!AddNode(type, 0, 0)) return false;
    open_.push_back(static_cast<uint32_t>(tree_.nodes_.size() - 1));
    return true;
  }

  bool Close() {
    const uint32_t index = open_.back();
    open_.pop_back();
    Node& node = tree_.nodes_[index];
    node.end = static_cast<uint32_t>(tree_.nodes_.size());
    uint64_t combined = 0;
    scratch_.clear();
    for (uint32_t c = index + 1; c < node.end; c = tree_.nodes_[c].end) {
      if (node.type == JsonType::kObject) {
        // Order-independent: a sum of one hash per member (name and value).
        const std::string_view key = tree_.PoolString(tree_.nodes_[c].key);
        combined += XXH3_64bits_withSeed(key.data(), key.size(), tree_.nodes_[c].hash);
      } else {
        scratch_.push_back(tree_.nodes_[c].hash);
      }
    }
    if (node.type == JsonType::kObject) {
      const uint64_t parts[2] = {combined, node.text};
      node.hash = XXH3_64bits_withSeed(parts, sizeof parts, kObjectSeed);
    } else {
      node.hash = XXH3_64bits_withSeed(scratch_.data(), scratch_.size() * sizeof(uint64_t),
                                       static_cast<uint64_t>(JsonType::kArray));
    }
    return true;
  }

 private:
  bool Number(const std::string& text, const std::optional<std::string>& canonical) {
    return Scalar(JsonType::kNumber, Intern(text), canonical ? *canonical : text);
  }

  bool Scalar(JsonType type, uint32_t text, std::string_view hashed) {
    return AddNode(type, text,
                   XXH3_64bits_withSeed(hashed.data(), hashed.size(), static_cast<uint64_t>(type)));
  }

  bool AddNode(JsonType type, uint32_t text, uint64_t hash) {
    if (tree_.nodes_.size() >= limits_.max_values) {
      too_many_values_ = true;
      return false;
    }
    Node node;
    node.type = type;
    node.text = text;
    node.hash = hash;
    node.end = static_cast<uint32_t>(tree_.nodes_.size() + 1);
    if (!open_.empty()) {
      Node& parent = tree_.nodes_[open_.back()];
      ++parent.text;  // a container's child count
      if (parent.type == JsonType::kObject) node.key = pending_key_;
    }
    tree_.nodes_.push_back(node);
    return true;
  }

  uint32_t Intern(std::string_view s) {
    const auto offset = static_cast<uint32_t>(tree_.pool_.size());
    const auto length = static_cast<uint32_t>(s.size());
    tree_.pool_.append(reinterpret_cast<const char*>(&length), sizeof length);
    tree_.pool_.append(s);
    return offset;
  }

  JsonTree& tree_;
  const JsonLimits& limits_;
  std::vector<uint32_t> open_;  // the containers being filled, outermost first
  uint32_t pending_key_ = kNone;
  std::vector<uint64_t> scratch_;
  std::string error_;
  bool too_many_values_ = false;
};

absl::StatusOr<JsonTree> JsonTree::Parse(const std::filesystem::path& path, bool lines,
                                         const JsonLimits& limits) {
  absl::StatusOr<std::string> text = ReadCapped(path, limits.max_bytes);
  if (!text.ok()) return text.status();
  return ParseText(*text, lines, limits);
}

absl::StatusOr<JsonTree> JsonTree::ParseText(std::string_view text, bool lines,
                                             const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("larger than ", HumanSize(limits.max_bytes)));
  }
  JsonTree tree;
  Builder builder(tree, limits);
  if (!lines) {
    if (absl::Status s = builder.ParseValue(text, ""); !s.ok()) return s;
    return tree;
  }
  builder.Open(JsonType::kArray);  // the records
  size_t line_number = 0;
  for (size_t start = 0; start < text.size();) {
    size_t newline = text.find('\n', start);
    if (newline == text.npos) newline = text.size();
    std::string_view line = text.substr(start, newline - start);
    start = newline + 1;
    ++line_number;
    if (line.find_first_not_of(" \t\r") == line.npos) continue;
    // nlohmann says "line 1" of the one-line input: say which line of the file instead.
    absl::Status s = builder.ParseValue(line, absl::StrCat("line ", line_number, ": "));
    if (!s.ok()) {
      return absl::Status(s.code(),
                          absl::StrReplaceAll(s.message(), {{"at line 1, column", "at column"}}));
    }
  }
  builder.Close();
  return tree;
}

std::string_view JsonTree::PoolString(uint32_t offset) const {
  if (offset == kNone) return {};
  uint32_t length;
  std::memcpy(&length, pool_.data() + offset, sizeof length);
  return std::string_view(pool_.data() + offset + sizeof length, length);
}

std::string_view JsonTree::Text(uint32_t node) const {
  switch (type(node)) {
    case JsonType::kNull:
      return "null";
    case JsonType::kBool:
      return nodes_[node].text ? "true" : "false";
    case JsonType::kNumber:
    case JsonType::kString:
      return PoolString(nodes_[node].text);
    default:
      return {};
  }
}

std::vector<uint32_t> JsonTree::Children(uint32_t node) const {
  std::vector<uint32_t> children;
  children.reserve(ChildCount(node));
  for (uint32_t c = FirstChild(node); c < End(node); c = NextSibling(c)) children.push_back(c);
  return children;
}

uint32_t JsonTree::Member(uint32_t node, std::string_view name) const {
  uint32_t found = kNone;
  if (type(node) != JsonType::kObject) return found;
  for (uint32_t c = FirstChild(node); c < End(node); c = NextSibling(c)) {
    if (Key(c) == name) found = c;
  }
  return found;
}

std::string AbbreviateJson(const JsonTree& tree, uint32_t node, size_t limit) {
  std::string out;
  AppendCompact(tree, node, limit, out);
  if (out.size() <= limit) return out;
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  return out + "\u2026";
}

}  // namespace deltascope

#include "ini_file.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <tuple>

#include "absl/strings/str_cat.h"

namespace deltascope::ini_plugin {
namespace {

constexpr uint64_t kFingerprintPrime = 1099511628211ULL;
constexpr uint64_t kCancelCheckLines = 1 << 16;

// What one logical line holds.
struct Event {
  enum class Kind { kSection, kSetting, kComment };
  Kind kind;
  std::string_view section;  // the section it belongs to (kSection: the new one)
  std::string_view key;
  std::string_view value;  // kComment: the comment's text
  uint64_t line;
};

std::string_view Trim(std::string_view s) {
  const size_t first = s.find_first_not_of(" \t\r\f");
  if (first == s.npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\f") - first + 1);
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80           ? 1
                       : (c >> 5) == 0x6  ? 2
                       : (c >> 4) == 0xE  ? 3
                       : (c >> 3) == 0x1E ? 4
                                          : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t j = 1; j < len; ++j) {
      if ((static_cast<unsigned char>(s[i + j]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

// A line ending in an odd number of backslashes continues on the next one (.properties).
bool Continues(std::string_view line) {
  line = line.substr(0, line.find_last_not_of("\r\f") + 1);
  size_t backslashes = 0;
  while (backslashes < line.size() && line[line.size() - 1 - backslashes] == '\\') ++backslashes;
  return backslashes % 2 == 1;
}

// Splits "key = value", "key: value" (and, in .properties, "key value").
std::pair<std::string_view, std::string_view> SplitSetting(std::string_view line, Dialect dialect) {
  const size_t sep = line.find_first_of(dialect == Dialect::kProperties ? "=: \t" : "=:");
  if (sep == line.npos) return {line, {}};
  std::string_view value = Trim(line.substr(sep + 1));
  if (dialect == Dialect::kProperties && (line[sep] == ' ' || line[sep] == '\t') &&
      !value.empty() && (value[0] == '=' || value[0] == ':')) {
    value = Trim(value.substr(1));  // "key = value": the blank ended the key, '=' separates
  }
  return {Trim(line.substr(0, sep)), value};
}

// Reads `path` line by line through a fixed buffer and calls `on_event` for each section
// header, setting and comment; `on_event` returns false to stop.
class EventReader {
 public:
  EventReader(Dialect dialect, const std::function<bool()>* cancelled)
      : dialect_(dialect), cancelled_(cancelled) {}

  absl::Status Read(const std::filesystem::path& path,
                    const std::function<bool(const Event&)>& on_event) {
    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!file) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read ", path.string(), ": ", std::strerror(errno)));
    }
    char buf[1 << 16];
    std::string physical;
    uint64_t number = 0;
    while (true) {
      const size_t n = std::fread(buf, 1, sizeof buf, file.get());
      if (n == 0 && std::ferror(file.get())) {
        return absl::InvalidArgumentError(absl::StrCat("error reading ", path.string()));
      }
      const bool eof = n == 0;
      for (size_t start = 0; start < n || (eof && !physical.empty());) {
        const char* newline =
            eof ? nullptr : static_cast<const char*>(std::memchr(buf + start, '\n', n - start));
        const size_t end = newline ? static_cast<size_t>(newline - buf) : n;
        physical.append(buf + start, end - start);
        if (physical.size() > kMaxLineBytes) {
          return absl::FailedPreconditionError(
              absl::StrCat("line ", number + 1, " is longer than ", kMaxLineBytes, " bytes"));
        }
        start = end + 1;
        if (!newline && !eof) break;  // the line goes on in the next chunk
        ++number;
        if (number % kCancelCheckLines == 0 && cancelled_ && *cancelled_ && (*cancelled_)()) {
          return absl::CancelledError("cancelled by the host");
        }
        absl::Status s = Physical(physical, number, on_event);
        physical.clear();
        if (!s.ok() || stopped_) return s;
      }
      if (eof) break;
    }
    if (!logical_.empty()) return Logical(on_event);
    return absl::OkStatus();
  }

 private:
  absl::Status Physical(std::string_view line, uint64_t number,
                        const std::function<bool(const Event&)>& on_event) {
    if (logical_.empty()) {
      logical_start_ = number;
    } else {
      line = Trim(line);  // a continuation's leading blanks are not part of the value
    }
    const bool continues = dialect_ == Dialect::kProperties && Continues(line);
    logical_.append(line.substr(0, continues ? line.find_last_not_of("\r\f") : line.size()));
    if (logical_.size() > kMaxLineBytes) {
      return absl::FailedPreconditionError(
          absl::StrCat("line ", logical_start_, " is longer than ", kMaxLineBytes, " bytes"));
    }
    if (continues) return absl::OkStatus();
    return Logical(on_event);
  }

  absl::Status Logical(const std::function<bool(const Event&)>& on_event) {
    const std::string where = absl::StrCat("line ", logical_start_, ": ");
    if (logical_.find('\0') != std::string::npos) {
      return absl::FailedPreconditionError(where + "NUL byte (binary content)");
    }
    if (!IsValidUtf8(logical_)) return absl::FailedPreconditionError(where + "not UTF-8");
    const std::string_view line = Trim(logical_);
    Event event{Event::Kind::kSetting, section_, {}, {}, logical_start_};
    const std::string_view comment_chars = dialect_ == Dialect::kIni ? ";#" : "#!";
    if (line.empty()) {
      logical_.clear();
      return absl::OkStatus();
    }
    if (comment_chars.find(line[0]) != comment_chars.npos) {
      event.kind = Event::Kind::kComment;
      event.value = line;
    } else if (dialect_ == Dialect::kIni && line[0] == '[') {
      const size_t close = line.find(']');  // a comment may follow
      if (close == line.npos) return absl::FailedPreconditionError(where + "'[' without ']'");
      section_ = std::string(Trim(line.substr(1, close - 1)));
      event.kind = Event::Kind::kSection;
      event.section = section_;
    } else {
      std::tie(event.key, event.value) = SplitSetting(line, dialect_);
    }
    if (!on_event(event)) stopped_ = true;
    logical_.clear();
    return absl::OkStatus();
  }

  const Dialect dialect_;
  const std::function<bool()>* cancelled_;
  std::string logical_;  // a .properties line and its continuations
  uint64_t logical_start_ = 0;
  std::string section_;
  bool stopped_ = false;
};

uint64_t NameHash(std::string_view section, std::string_view key) {
  const std::hash<std::string_view> hash;
  return hash(section) * kFingerprintPrime ^ hash(key);
}

}  // namespace

absl::StatusOr<Settings> ReadSettings(const std::filesystem::path& path, Dialect dialect,
                                      const std::function<bool()>& cancelled) {
  Settings settings;
  const std::hash<std::string_view> hash;
  bool too_many = false;
  EventReader reader(dialect, &cancelled);
  absl::Status status = reader.Read(path, [&](const Event& e) {
    if (settings.by_name.size() + settings.sections.size() >= kMaxSettings) {
      too_many = true;
      return false;
    }
    switch (e.kind) {
      case Event::Kind::kComment:
        settings.comments = settings.comments * kFingerprintPrime + hash(e.value);
        break;
      case Event::Kind::kSection:
        settings.sections.push_back(hash(e.section));
        break;
      case Event::Kind::kSetting: {
        const uint64_t name = NameHash(e.section, e.key);
        settings.order = settings.order * kFingerprintPrime + name;
        settings.by_name.push_back({name, hash(e.value), e.line});
        break;
      }
    }
    return true;
  });
  if (!status.ok()) return status;
  if (too_many) {
    return absl::FailedPreconditionError(absl::StrCat("more than ", kMaxSettings, " settings"));
  }
  auto& s = settings.by_name;
  std::stable_sort(s.begin(), s.end(),
                   [](const Setting& a, const Setting& b) { return a.name < b.name; });
  // Keep the last of each repeated name: reverse, keep the first of each run, reverse back.
  std::reverse(s.begin(), s.end());
  s.erase(std::unique(s.begin(), s.end(),
                      [](const Setting& a, const Setting& b) { return a.name == b.name; }),
          s.end());
  std::reverse(s.begin(), s.end());
  std::sort(settings.sections.begin(), settings.sections.end());
  settings.sections.erase(std::unique(settings.sections.begin(), settings.sections.end()),
                          settings.sections.end());
  return settings;
}

absl::StatusOr<std::vector<Entry>> ReadEntriesAt(const std::filesystem::path& path, Dialect dialect,
                                                 const std::vector<uint64_t>& lines) {
  std::vector<Entry> entries;
  if (lines.empty()) return entries;
  size_t next = 0;
  EventReader reader(dialect, nullptr);
  absl::Status status = reader.Read(path, [&](const Event& e) {
    if (e.kind != Event::Kind::kSetting || e.line != lines[next]) return true;
    entries.push_back({std::string(e.section), std::string(e.key), std::string(e.value), e.line});
    return ++next < lines.size();
  });
  if (!status.ok()) return status;
  return entries;
}

}  // namespace deltascope::ini_plugin

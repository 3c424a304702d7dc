#include "daemon/util/untrusted_text.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"

namespace deltascope {
namespace {

// The code point of the valid UTF-8 sequence `s` starts with, and that sequence's length; length
// 0 when `s` starts with no valid sequence (a stray continuation byte, an overlong form, a
// surrogate, past U+10FFFF, truncated).
struct Decoded {
  char32_t code_point = 0;
  size_t length = 0;
};

Decoded DecodeUtf8(absl::string_view s) {
  const auto lead = static_cast<unsigned char>(s[0]);
  if (lead < 0x80) return {lead, 1};
  const size_t length = (lead & 0xE0) == 0xC0   ? 2
                        : (lead & 0xF0) == 0xE0 ? 3
                        : (lead & 0xF8) == 0xF0 ? 4
                                                : 0;
  if (length == 0 || s.size() < length) return {};
  static constexpr char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};  // no overlong forms
  char32_t cp = lead & (0x7F >> length);
  for (size_t i = 1; i < length; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) return {};
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < kSmallest[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {};
  return {cp, length};
}

// Valid characters that are nonetheless shown as \u escapes: C1 controls (terminals may act on
// them), bidi formatting (reorders what is displayed, "Trojan Source"), line separators (break
// a line in some viewers).
bool IsInvisibleFormatting(char32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 ||
         cp == 0x2029;
}

bool IsMarkdownSyntax(char32_t cp) {
  return cp < 0x80 &&
         absl::string_view("\\`*_[]<>#|&~$").find(static_cast<char>(cp)) != absl::string_view::npos;
}

bool IsAsciiAlnum(char32_t cp) {
  return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
}

// CommonMark never reads an underscore between two letters or digits as emphasis
// ("max_ratio"), so it stays readable there; everywhere else it is escaped.
bool IsIntrawordUnderscore(char32_t previous, absl::string_view rest) {
  while (!rest.empty() && rest[0] == '_') rest.remove_prefix(1);
  return IsAsciiAlnum(previous) && !rest.empty() &&
         IsAsciiAlnum(static_cast<unsigned char>(rest[0]));
}

std::string Escape(absl::string_view text, bool markdown) {
  std::string out;
  out.reserve(text.size());
  char32_t previous = 0;
  while (!text.empty()) {
    const Decoded d = DecodeUtf8(text);
    if (d.length == 0) {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<unsigned char>(text[0]));
      text.remove_prefix(1);
      previous = 0;
      continue;
    }
    const char32_t cp = d.code_point;
    if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp < 0x20 || cp == 0x7F) {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<unsigned>(cp));
    } else if (IsInvisibleFormatting(cp)) {
      absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned>(cp));
    } else {
      const bool plain = cp == '_' && IsIntrawordUnderscore(previous, text);
      if (markdown && IsMarkdownSyntax(cp) && !plain) out.push_back('\\');
      out.append(text.data(), d.length);
    }
    if (cp != '_') previous = cp;
    text.remove_prefix(d.length);
  }
  return out;
}

}  // namespace

std::string EscapeForTerminal(absl::string_view text) { return Escape(text, false); }

std::string EscapeForMarkdown(absl::string_view text) { return Escape(text, true); }

std::string EscapeJsonInvisibles(absl::string_view json) {
  std::string out;
  out.reserve(json.size());
  while (!json.empty()) {
    const Decoded d = DecodeUtf8(json);
    const size_t length = d.length == 0 ? 1 : d.length;
    if (d.length != 0 && (d.code_point == 0x7F || IsInvisibleFormatting(d.code_point))) {
      absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned>(d.code_point));
    } else {
      out.append(json.data(), length);
    }
    json.remove_prefix(length);
  }
  return out;
}

std::string EscapeName(absl::string_view name) {
  std::string out;
  out.reserve(name.size());
  while (!name.empty()) {
    const Decoded d = DecodeUtf8(name);
    if (d.length == 0) {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<unsigned char>(name[0]));
      name.remove_prefix(1);
      continue;
    }
    if (name[0] == '\\') out += '\\';
    out.append(name.data(), d.length);
    name.remove_prefix(d.length);
  }
  return out;
}

std::string UnescapeName(absl::string_view escaped) {
  std::string out;
  out.reserve(escaped.size());
  for (size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] == '\\' && i + 1 < escaped.size() && escaped[i + 1] == '\\') {
      out += '\\';
      ++i;
    } else if (escaped[i] == '\\' && i + 3 < escaped.size() && escaped[i + 1] == 'x' &&
               absl::ascii_isxdigit(escaped[i + 2]) && absl::ascii_isxdigit(escaped[i + 3])) {
      int hi = 0, lo = 0;
      absl::SimpleHexAtoi(escaped.substr(i + 2, 1), &hi);
      absl::SimpleHexAtoi(escaped.substr(i + 3, 1), &lo);
      out += static_cast<char>(hi * 16 + lo);
      i += 3;
    } else {
      out += escaped[i];
    }
  }
  return out;
}

}  // namespace deltascope

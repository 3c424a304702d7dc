// Text that comes from outside this program (a plugin's summaries, error messages, stderr and
// stdout lines and Describe strings, manifests, file names) made safe to show: once escaped it
// cannot move the cursor, clear the screen, retitle the window, write the clipboard, reorder
// what is displayed around it, or break out of the line (or the Markdown construct) it is
// printed in. docs/security.md, "Untrusted text".
#ifndef DELTASCOPE_DAEMON_UTIL_UNTRUSTED_TEXT_H_
#define DELTASCOPE_DAEMON_UTIL_UNTRUSTED_TEXT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace deltascope {

// `text` on one line, for a terminal or a log. Shown as escapes:
//   - C0 controls (newline, tab, ESC, ...) and DEL: \n \r \t, else \xHH (\x1b, \x00, \x7f);
//   - C1 controls U+0080-U+009F: \u0080 ... \u009f (\u009b is a one-character CSI);
//   - bidirectional formatting characters (U+061C, U+200E, U+200F, U+202A-U+202E,
//     U+2066-U+2069) and the line and paragraph separators U+2028, U+2029: \u202e ...;
//   - each byte that is not part of valid UTF-8: \xHH (\xff).
// Everything else, printable ASCII and valid UTF-8 such as "café" or "日本", is kept as it is.
std::string EscapeForTerminal(absl::string_view text);

// EscapeForTerminal, and the ASCII characters Markdown could read as syntax (\ ` * _ [ ] < > #
// | & ~ $) backslash-escaped: placed after other text on a Markdown line (a bullet's "- **x**: ",
// a heading's "# "), it renders literally and starts no heading, list item, table, block quote,
// code block or fence, and makes no HTML tag, entity, link, image, code span or emphasis.
std::string EscapeForMarkdown(absl::string_view text);

// `json` is serialised JSON in valid UTF-8. Returns the same JSON with DEL, the C1 controls and
// the characters above (bidi, U+2028, U+2029) written as \u escapes: a JSON reader gets exactly
// the same strings, a terminal showing the JSON sees no control sequence. (JSON writers
// already escape U+0000-U+001F.)
std::string EscapeJsonInvisibles(absl::string_view json);

// A file name as it appears in logical paths and the changeset (docs/changeset.md, "Names"):
// valid UTF-8 is kept, each byte that is not part of valid UTF-8 becomes \xHH (lower-case hex)
// and a literal backslash becomes \\, so two names that differ only in invalid bytes stay
// distinct and UnescapeName(EscapeName(n)) == n for every byte string n.
std::string EscapeName(absl::string_view name);
// The inverse of EscapeName. A backslash followed by anything but \\ or xHH is kept as it is.
std::string UnescapeName(absl::string_view escaped);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_UTIL_UNTRUSTED_TEXT_H_

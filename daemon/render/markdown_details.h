// What a Markdown bullet shows of a node's details beyond its summary: the changed lines of a
// text (the "hunks" detail), the files of an added or removed folder ("files"). The details may
// come from a plugin, so they are read defensively, bounded again and escaped (docs/security.md,
// "Untrusted text").
#ifndef DELTASCOPE_DAEMON_RENDER_MARKDOWN_DETAILS_H_
#define DELTASCOPE_DAEMON_RENDER_MARKDOWN_DETAILS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "deltascope/changeset/v1/changeset.pb.h"

namespace deltascope {

// `text` as a Markdown code span that shows it literally: control characters escaped, the
// delimiter longer than any backtick run inside. Empty text gives "(empty)".
std::string MarkdownCodeSpan(absl::string_view text);

// Appended to the bullet of `node`: "" when it has no hunks; for one changed line,
// ": `old` → `new`"; otherwise a fenced diff block (each line indented under the bullet)
// with a note when the excerpt was cut.
std::string RenderHunks(const changeset::v1::DiffNode& node);

// Appended to the bullet of an added or removed container with a "files" detail: ": a.csv,
// b.csv, … and 2 more" (names escaped; at most kListedFiles). "" otherwise.
std::string RenderContents(const changeset::v1::DiffNode& node);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_RENDER_MARKDOWN_DETAILS_H_

// The HTML changelog: one self-contained page (docs/html-report.md). The changesets are
// embedded once, as JSON in a non-executable <script type="application/json"> block; the
// page's own script (daemon/render/report/report.js) builds the tree from it lazily, with DOM
// text nodes only, under a Content-Security-Policy that allows that script alone (by hash), so
// no string from a file name or a plugin can become markup or code. Deterministic: equal
// changesets give byte-identical pages.
#ifndef DELTASCOPE_DAEMON_RENDER_HTML_H_
#define DELTASCOPE_DAEMON_RENDER_HTML_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "deltascope/changeset/v1/changeset.pb.h"

namespace deltascope {

using changeset::v1::Changeset;

std::string RenderHtml(const std::vector<Changeset>& changesets);

// `text` safe as HTML text or a quoted attribute value: & < > " ' as character references,
// control and bidi characters shown as escapes (\x1b, \u202e).
std::string EscapeHtml(absl::string_view text);

// `json` (JSON text) safe inside a <script> element: every <, > and & (which JSON allows only
// inside strings) as a \u escape, so no "</script>" or "<!--" can appear.
std::string EscapeJsonForScript(absl::string_view json);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_RENDER_HTML_H_

#include "daemon/render/html.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "daemon/render/html_assets.h"
#include "daemon/render/json.h"
#include "daemon/render/markdown.h"
#include "daemon/util/sha256.h"
#include "daemon/util/untrusted_text.h"

namespace deltascope {
namespace {

// A CSP source expression allowing exactly this inline <script> or <style> text.
std::string HashSource(absl::string_view text) {
  return absl::StrCat("'sha256-", absl::Base64Escape(absl::HexStringToBytes(Sha256Hex(text))), "'");
}

std::string SnapshotLabel(const std::string& s) { return s.empty() ? "(snapshot)" : s; }

std::string Title(const std::vector<Changeset>& changesets) {
  if (changesets.empty()) return "Changelog";
  return absl::StrCat("Changelog: ", SnapshotLabel(changesets.front().from_snapshot()), " → ",
                      SnapshotLabel(changesets.back().to_snapshot()));
}

// What the script needs besides the changesets: the clerical tags (one list, shared with the
// Markdown renderer's grouping).
std::string ReportData(const std::vector<Changeset>& changesets) {
  std::vector<std::string> quoted;
  for (const std::string& tag : ClericalTags()) quoted.push_back(absl::StrCat("\"", tag, "\""));
  return absl::StrCat("{\"clerical_tags\":[", absl::StrJoin(quoted, ","),
                      "],\"changesets\":", RenderCompactJson(changesets), "}");
}

}  // namespace

std::string EscapeHtml(absl::string_view text) {
  return absl::StrReplaceAll(
      EscapeForTerminal(text),
      {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&#39;"}});
}

std::string EscapeJsonForScript(absl::string_view json) {
  return absl::StrReplaceAll(json, {{"<", "\\u003c"}, {">", "\\u003e"}, {"&", "\\u0026"}});
}

std::string RenderHtml(const std::vector<Changeset>& changesets) {
  const absl::string_view css = html_assets::kReportCss;
  const absl::string_view js = html_assets::kReportJs;
  // The page loads nothing and may run only its own script: no network, no injected code.
  const std::string csp =
      absl::StrCat("default-src 'none'; script-src ", HashSource(js), "; style-src ",
                   HashSource(css), "; img-src data:; base-uri 'none'; form-action 'none'");
  std::string out;
  absl::StrAppend(&out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
                  "<meta http-equiv=\"Content-Security-Policy\" content=\"", csp, "\">\n",
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
                  "<meta name=\"generator\" content=\"deltascope\">\n", "<title>",
                  EscapeHtml(Title(changesets)), "</title>\n<style>", css, "</style>\n</head>\n");
  absl::StrAppend(&out, "<body>\n<header><h1>", EscapeHtml(Title(changesets)), "</h1></header>\n",
                  "<main id=\"report\"><noscript><p>This report needs JavaScript to show the "
                  "changes. They are in this file as JSON, in the script element with the id "
                  "deltascope-data.</p></noscript></main>\n");
  absl::StrAppend(&out, "<script type=\"application/json\" id=\"deltascope-data\">",
                  EscapeJsonForScript(ReportData(changesets)), "</script>\n<script>", js,
                  "</script>\n</body>\n</html>\n");
  return out;
}

}  // namespace deltascope

// The Markdown changelog: a heading per snapshot pair, one bullet per reportable change,
// optionally grouped by tags (clerical vs substantive, or the config's own groups).
#ifndef DELTASCOPE_DAEMON_RENDER_MARKDOWN_H_
#define DELTASCOPE_DAEMON_RENDER_MARKDOWN_H_

#include <string>
#include <vector>

#include "deltascope/changeset/v1/changeset.pb.h"

namespace deltascope {

using changeset::v1::Changeset;

struct MarkdownGroup {
  std::string heading;
  // A change belongs to the first group sharing one of its tags; with `inverted`, to the first
  // group for which it has a tag *not* in `tags` (so tags nobody listed, a plugin's own, count).
  std::vector<std::string> tags;
  bool inverted = false;
};

struct MarkdownOptions {
  // Empty: one flat list. Otherwise changes are listed under these headings, in this order;
  // changes matching no group go under "Other changes".
  std::vector<MarkdownGroup> groups;
  // When more than this many sibling leaves of one folder share a kind of change (action, item
  // type, tags and the words of the summary before any number or parenthesis), they are shown
  // as one line ("93 files: Content changed; e.g. a, b, c and 90 more"). 0: never.
  size_t collapse_threshold = 10;
};

// The default grouping: "Substantive changes" then "Clerical changes".
std::vector<MarkdownGroup> ClericalSubstantiveGroups();

// Tags that mark a change as clerical (no data changed).
const std::vector<std::string>& ClericalTags();

std::string RenderMarkdown(const std::vector<Changeset>& changesets,
                           const MarkdownOptions& options = {});

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_RENDER_MARKDOWN_H_

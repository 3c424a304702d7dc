// The Markdown renderer's default grouping: clerical only when every tag is clerical; any other
// tag, a plugin's own included, makes the change substantive.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/render/markdown.h"

namespace deltascope {
namespace {

std::string Grouped(const std::vector<std::pair<std::string, std::vector<std::string>>>& changes) {
  Changeset cs;
  cs.set_from_snapshot("a");
  cs.set_to_snapshot("b");
  cs.mutable_root()->set_action("modify");
  for (const auto& [path, tags] : changes) {
    changeset::v1::DiffNode* n = cs.mutable_root()->add_children();
    n->set_path(path);
    n->set_action("modify");
    n->set_summary("changed");
    for (const std::string& tag : tags) n->add_tags(tag);
  }
  return RenderMarkdown({cs}, {ClericalSubstantiveGroups()});
}

TEST(MarkdownGroupTest, AnyTagThatIsNotClericalIsSubstantive) {
  EXPECT_EQ(Grouped({{"moved.txt", {"file-move"}},
                     {"plugin.ini", {"section-addition"}},
                     {"mixed.csv", {"column-reorder", "section-addition"}},
                     {"rows.csv", {"row-addition"}},
                     {"untagged.bin", {}}}),
            "# Changelog: a → b\n\n"
            "## Substantive changes\n\n"
            "- **plugin.ini**: changed\n- **mixed.csv**: changed\n- **rows.csv**: changed\n\n"
            "## Clerical changes\n\n- **moved.txt**: changed\n\n"
            "## Other changes\n\n- **untagged.bin**: changed\n");
}

}  // namespace
}  // namespace deltascope

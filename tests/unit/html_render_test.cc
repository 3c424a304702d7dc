// The HTML report's page (daemon/render/html.h): what a browser test cannot see cheaply, checked
// on the bytes. The page's behaviour in a browser is tested in tests/browser/.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daemon/render/html.h"
#include "daemon/render/json.h"
#include "daemon/util/sha256.h"

namespace deltascope {
namespace {

using changeset::v1::DiffNode;

Changeset Hostile() {
  Changeset cs;
  cs.set_from_snapshot("</title><script>alert(1)</script>");
  cs.set_to_snapshot("b\x1b[2J\"'&");
  DiffNode* root = cs.mutable_root();
  root->set_action("modify");
  root->set_item_type("directory");
  DiffNode* leaf = root->add_children();
  leaf->set_action("modify");
  leaf->set_path("</script><!--<script>x.txt");
  leaf->set_summary("</SCRIPT ><img src=x onerror=alert(1)>&amp;\u2028");
  return cs;
}

// The text between the n-th "<script...>" opening tag's end and the next "</script>".
std::string ScriptText(const std::string& page, int n) {
  size_t at = 0;
  for (int i = 0; i <= n; ++i) at = page.find("<script", at) + 1;
  const size_t start = page.find('>', at) + 1;
  return page.substr(start, page.find("</script>", start) - start);
}

TEST(HtmlRenderTest, EscapesTextForElementsAndAttributes) {
  EXPECT_EQ(EscapeHtml("<a href=\"x\" title='y'>&</a>"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  EXPECT_EQ(EscapeHtml("bell\x07 esc\x1b rtl\u202e"), "bell\\x07 esc\\x1b rtl\\u202e");
}

TEST(HtmlRenderTest, JsonInScriptCannotCloseTheElement) {
  EXPECT_EQ(EscapeJsonForScript(R"({"a":"</script><!--&"})"),
            R"({"a":"\u003c/script\u003e\u003c!--\u0026"})");
}

TEST(HtmlRenderTest, DataIsEmbeddedOnceAndParsesBackExactly) {
  const std::vector<Changeset> changesets = {Hostile()};
  const std::string page = RenderHtml(changesets);
  // Two script elements (the data, the report's code), no markup from the data.
  size_t scripts = 0;
  for (size_t at = 0; (at = page.find("</script>", at)) != std::string::npos; ++at) ++scripts;
  EXPECT_EQ(scripts, 2u);
  EXPECT_FALSE(absl::StrContains(page, "<!--"));
  EXPECT_FALSE(absl::StrContains(absl::AsciiStrToLower(page), "</script >"));
  EXPECT_FALSE(absl::StrContains(page, "<img"));
  EXPECT_TRUE(absl::StrContains(page,
                                "<title>Changelog: &lt;/title&gt;&lt;script&gt;alert(1)"
                                "&lt;/script&gt; → b\\x1b[2J&quot;&#39;&amp;</title>"))
      << page.substr(0, 1200);
  const nlohmann::json data = nlohmann::json::parse(ScriptText(page, 0));
  EXPECT_EQ(data["changesets"], nlohmann::json::parse(RenderCompactJson(changesets)));
  EXPECT_EQ(data["changesets"][0]["root"]["children"][0]["summary"],
            "</SCRIPT ><img src=x onerror=alert(1)>&amp;\u2028");
  EXPECT_TRUE(data["clerical_tags"].is_array());
}

TEST(HtmlRenderTest, PolicyAllowsOnlyTheReportsOwnScriptAndStyle) {
  const std::string page = RenderHtml({Hostile()});
  const std::string script = ScriptText(page, 1);
  ASSERT_TRUE(absl::StrContains(script, "'use strict'"));
  const std::string hash = absl::Base64Escape(absl::HexStringToBytes(Sha256Hex(script)));
  EXPECT_TRUE(absl::StrContains(
      page, absl::StrCat("content=\"default-src 'none'; script-src 'sha256-", hash, "'; ")));
  const size_t style = page.find("<style>") + 7;
  const std::string css = page.substr(style, page.find("</style>") - style);
  EXPECT_TRUE(absl::StrContains(
      page, absl::StrCat("style-src 'sha256-",
                         absl::Base64Escape(absl::HexStringToBytes(Sha256Hex(css))), "'")));
  // Nothing is fetched at view time: the page's own markup, style and code name no address.
  std::string own = page;
  own.erase(own.find(ScriptText(page, 0)), ScriptText(page, 0).size());
  EXPECT_FALSE(absl::StrContains(own, "http://"));
  EXPECT_FALSE(absl::StrContains(own, "https://"));
  EXPECT_FALSE(absl::StrContains(own, "src="));
  EXPECT_FALSE(absl::StrContains(own, "url("));
}

TEST(HtmlRenderTest, DeterministicWithoutTimestamps) {
  EXPECT_EQ(RenderHtml({Hostile()}), RenderHtml({Hostile()}));
  EXPECT_EQ(RenderHtml({}), RenderHtml({}));
}

}  // namespace
}  // namespace deltascope

// Untrusted text (daemon/util/untrusted_text.h): every class of character a plugin or a file
// name could use to drive a terminal, spoof what is displayed or break the changelog's Markdown
// is escaped, valid text is kept as it is; and the renderers apply it (Markdown) or keep the
// exact strings (JSON).
#include "daemon/util/untrusted_text.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "daemon/render/json.h"
#include "daemon/render/markdown.h"

namespace deltascope {
namespace {

using namespace std::string_literals;  // NOLINT: "\0"s keeps the NUL

// A plugin's summary that tries everything at once: fake Markdown structure, clear screen, a
// window title (OSC 0), a clipboard write (OSC 52), a one-byte CSI (C1), DEL, right-to-left
// override and isolate, a line separator, and a byte that is not UTF-8.
const std::string kAttack =
    "ok\n# Fake heading\n- fake item\r\n\x1b[2J\x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07"
    "\xc2\x9b"
    "31m\x7f\xe2\x80\xae"
    "evil\xe2\x81\xa6\xe2\x80\xa8"
    "end\xff";

bool HasRawControl(const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c < 0x20 && c != '\n') || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9F) return true;
  }
  return absl::StrContains(s, "\xe2\x80\xae") || absl::StrContains(s, "\xe2\x81\xa6") ||
         absl::StrContains(s, "\xe2\x80\xa8");
}

TEST(UntrustedTextTest, C0ControlsAndDelAreEscaped) {
  EXPECT_EQ(EscapeForTerminal("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(EscapeForTerminal("\x1b[2J"), "\\x1b[2J");
  EXPECT_EQ(EscapeForTerminal("\x1b]0;title\x07"), "\\x1b]0;title\\x07");
  EXPECT_EQ(EscapeForTerminal("\x1b]52;c;cHduZWQ=\x07"), "\\x1b]52;c;cHduZWQ=\\x07");
  EXPECT_EQ(EscapeForTerminal("nul\0byte"s), "nul\\x00byte");
  EXPECT_EQ(EscapeForTerminal("\x01\x1f"), "\\x01\\x1f");
  EXPECT_EQ(EscapeForTerminal("del\x7f"), "del\\x7f");
}

TEST(UntrustedTextTest, C1ControlsAreEscaped) {
  EXPECT_EQ(EscapeForTerminal("\xc2\x80"), "\\u0080");
  EXPECT_EQ(EscapeForTerminal("\xc2\x85"), "\\u0085");  // NEL: a newline to some terminals
  EXPECT_EQ(EscapeForTerminal("\xc2\x9b"
                              "2J"),
            "\\u009b2J");  // a one-character CSI
  EXPECT_EQ(EscapeForTerminal("\xc2\x9f"), "\\u009f");
  EXPECT_EQ(EscapeForTerminal("\xc2\xa0"), "\xc2\xa0");  // U+00A0, just past C1: printable
}

TEST(UntrustedTextTest, BidiControlsAndLineSeparatorsAreEscaped) {
  EXPECT_EQ(EscapeForTerminal("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad\xe2\x80\xae"),
            "\\u202a\\u202b\\u202c\\u202d\\u202e");
  EXPECT_EQ(EscapeForTerminal("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9"),
            "\\u2066\\u2067\\u2068\\u2069");
  EXPECT_EQ(EscapeForTerminal("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c"), "\\u200e\\u200f\\u061c");
  EXPECT_EQ(EscapeForTerminal("\xe2\x80\xa8\xe2\x80\xa9"), "\\u2028\\u2029");
  EXPECT_EQ(EscapeForTerminal("\xe2\x80\xaf"), "\xe2\x80\xaf");  // U+202F: a space, kept
}

TEST(UntrustedTextTest, InvalidUtf8IsEscapedByteByByte) {
  EXPECT_EQ(EscapeForTerminal("a\xff"
                              "b"),
            "a\\xffb");
  EXPECT_EQ(EscapeForTerminal("\x80"), "\\x80");                             // stray continuation
  EXPECT_EQ(EscapeForTerminal("\xc0\xaf"), "\\xc0\\xaf");                    // overlong '/'
  EXPECT_EQ(EscapeForTerminal("\xc1\x9b"), "\\xc1\\x9b");                    // overlong C1 CSI
  EXPECT_EQ(EscapeForTerminal("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // surrogate
  EXPECT_EQ(EscapeForTerminal("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // past U+10FFFF
  EXPECT_EQ(EscapeForTerminal("\xe6\x97"), "\\xe6\\x97");                    // truncated
  EXPECT_EQ(EscapeForTerminal("\xe6\x97x"), "\\xe6\\x97x");
}

TEST(UntrustedTextTest, ValidTextIsKept) {
  for (const std::string s :
       {"plain ASCII: 1 row added; 3 cells changed", "café", "日本", "ünïcödé-名前.txt", "→ ✓",
        "emoji \xf0\x9f\x98\x80", "path/with\\backslash", "tab-free", ""}) {
    EXPECT_EQ(EscapeForTerminal(s), s);
  }
}

TEST(UntrustedTextTest, TheAttackEndsUpOnOneInertLine) {
  const std::string shown = EscapeForTerminal(kAttack);
  EXPECT_FALSE(absl::StrContains(shown, "\n")) << shown;
  EXPECT_FALSE(HasRawControl(shown)) << shown;
  EXPECT_EQ(shown,
            "ok\\n# Fake heading\\n- fake item\\r\\n\\x1b[2J\\x1b]0;pwned\\x07"
            "\\x1b]52;c;cHduZWQ=\\x07\\u009b31m\\x7f\\u202eevil\\u2066\\u2028end\\xff");
}

TEST(UntrustedTextTest, MarkdownSyntaxIsEscaped) {
  EXPECT_EQ(EscapeForMarkdown("*a* _b_ `c` [d](e) ![i](x) <img src=x> # | & ~ $x$ \\"),
            "\\*a\\* \\_b\\_ \\`c\\` \\[d\\](e) !\\[i\\](x) \\<img src=x\\> \\# \\| \\& \\~ "
            "\\$x\\$ \\\\");
  EXPECT_EQ(EscapeForMarkdown("&#x202E; &lt;"), "\\&\\#x202E; \\&lt;");  // no entity
  EXPECT_EQ(EscapeForMarkdown("```"), "\\`\\`\\`");                      // no fence
  // Control characters are shown as in a terminal; "\n" stays literal text in Markdown.
  EXPECT_EQ(EscapeForMarkdown("a\n# b\x1b"), "a\\n\\# b\\x1b");
  EXPECT_EQ(EscapeForMarkdown("1 row added; 3 cells changed (12 B → 20 B), café, 日本"),
            "1 row added; 3 cells changed (12 B → 20 B), café, 日本");
  // An underscore inside a word is never emphasis in CommonMark: names stay readable.
  EXPECT_EQ(EscapeForMarkdown("max_ratio snake__case _x a_ _ é_b"),
            "max_ratio snake__case \\_x a\\_ \\_ é\\_b");
}

TEST(UntrustedTextTest, JsonInvisiblesAreEscapedAndTheRestKept) {
  EXPECT_EQ(EscapeJsonInvisibles("{\"a\":\"x\x7f\xc2\x9b\xe2\x80\xae\xe2\x81\xa9\xe2\x80\xa8\"}"),
            "{\"a\":\"x\\u007f\\u009b\\u202e\\u2069\\u2028\"}");
  const std::string plain = "{\"a\":\"café 日本 \\u001b \\n\"}";
  EXPECT_EQ(EscapeJsonInvisibles(plain), plain);
}

Changeset AttackChangeset() {
  Changeset cs;
  cs.set_from_snapshot("a\n# from");
  cs.set_to_snapshot("b");
  auto* root = cs.mutable_root();
  root->set_action("modify");
  auto* node = root->add_children();
  node->set_path("x.echo\n# Fake path\x1b[2J");
  node->set_action("modify");
  node->set_item_type(kAttack);
  node->set_summary(kAttack);
  node->set_comparator(kAttack);
  node->add_tags(kAttack);
  (*node->mutable_details()->mutable_fields())[kAttack].set_string_value(kAttack);
  auto* moved = root->add_children();
  moved->set_path("moved\n- fake");
  moved->set_source_path(kAttack);
  moved->set_action("move");
  moved->set_summary("Moved");
  auto* d = cs.add_diagnostics();
  d->set_severity(changeset::v1::SEVERITY_WARNING);
  d->set_code("plugin-crash\n# code");
  d->set_message(kAttack);
  d->set_path(kAttack);
  return cs;
}

TEST(UntrustedTextTest, MarkdownGetsNoInjectedLineAndNoControlCharacter) {
  for (const MarkdownOptions& options :
       {MarkdownOptions{}, MarkdownOptions{ClericalSubstantiveGroups()}}) {
    const std::string md = RenderMarkdown({AttackChangeset()}, options);
    SCOPED_TRACE(md);
    EXPECT_FALSE(HasRawControl(md));
    // Only the renderer's own lines: its headings, bullets and blank lines.
    for (absl::string_view line : absl::StrSplit(md, '\n')) {
      const bool ours = line.empty() || absl::StartsWith(line, "# Changelog: ") ||
                        absl::StartsWith(line, "## ") || absl::StartsWith(line, "- **") ||
                        absl::StartsWith(line, "- warning (");
      EXPECT_TRUE(ours) << "injected line: " << line;
      EXPECT_FALSE(absl::StartsWith(line, "# Fake") || absl::StartsWith(line, "- fake")) << line;
    }
    EXPECT_TRUE(
        absl::StrContains(md, "- **x.echo\\n\\# Fake path\\x1b\\[2J**: ok\\n\\# Fake heading"));
    EXPECT_TRUE(absl::StrContains(md, "- warning (plugin-crash\\n\\# code): ok\\n\\# Fake"));
    EXPECT_TRUE(absl::StrContains(md, "# Changelog: a\\n\\# from → b"));
  }
}

TEST(UntrustedTextTest, JsonKeepsTheExactStringsAndShowsNoControlCharacter) {
  const Changeset cs = AttackChangeset();
  const std::string json = RenderJson({cs});
  EXPECT_FALSE(HasRawControl(json)) << json;
  // Any JSON reader gets the exact strings back (the invalid byte aside: JSON is UTF-8, so it is
  // replaced by U+FFFD).
  const std::string valid_attack = kAttack.substr(0, kAttack.size() - 1);
  nlohmann::json j = nlohmann::json::parse(json);
  const auto& node = j["root"]["children"][0];
  EXPECT_EQ(node["summary"], valid_attack + "\xef\xbf\xbd");
  EXPECT_EQ(node["details"].at(valid_attack + "\xef\xbf\xbd"), valid_attack + "\xef\xbf\xbd");

  // And the round trip through `deltascope changelog` keeps them.
  const std::string replaced = valid_attack + "\xef\xbf\xbd";
  absl::StatusOr<std::vector<Changeset>> back = ParseJson(json, "test.json");
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 1u);
  const auto& got = (*back)[0].root().children(0);
  EXPECT_EQ(got.summary(), replaced);
  EXPECT_EQ(got.item_type(), replaced);
  EXPECT_EQ(got.comparator(), replaced);
  EXPECT_EQ(got.tags(0), replaced);
  EXPECT_EQ(got.path(), "x.echo\n# Fake path\x1b[2J");
  EXPECT_EQ((*back)[0].root().children(1).source_path(), replaced);
  EXPECT_EQ((*back)[0].diagnostics(0).message(), replaced);
  EXPECT_EQ((*back)[0].from_snapshot(), "a\n# from");
  EXPECT_EQ(RenderJson(*back), json);
}

// Names: invalid bytes as \xHH, a backslash doubled, valid UTF-8 kept; an exact round trip.
TEST(UntrustedTextTest, NamesEscapeInvalidBytesAndRoundTripExactly) {
  EXPECT_EQ(EscapeName("caf\xc3\xa9.txt"), "caf\xc3\xa9.txt");
  EXPECT_EQ(EscapeName("x\xff.txt"), "x\\xff.txt");
  EXPECT_EQ(EscapeName("a\\b"), "a\\\\b");
  EXPECT_EQ(EscapeName("\xc3"), "\\xc3");  // a truncated sequence, byte by byte
  // A name that already looks like an escape stays distinct from the byte it spells.
  EXPECT_NE(EscapeName("\\xff"), EscapeName("\xff"));
  for (const std::string& name :
       {"plain"s, "x\xfe\xff"s, "\\xff"s, "\\"s, "a\\\\b\\"s, "\0\x80\xc3"s, "\xe6\x97\xa5\\x4"s}) {
    EXPECT_EQ(UnescapeName(EscapeName(name)), name) << EscapeName(name);
  }
  for (int b = 0; b < 256; ++b) {
    const std::string name(1, static_cast<char>(b));
    EXPECT_EQ(UnescapeName(EscapeName(name)), name) << b;
  }
}

}  // namespace
}  // namespace deltascope

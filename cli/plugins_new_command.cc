// `deltascope plugins new NAME --lang python|cpp|go [--dir D]`: a complete plugin project
// (a trivial comparator, its manifest or entry point, a test, a README) from the embedded
// templates (cli/plugin_templates.h), ready for `deltascope plugins check`.
#include <cstdio>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "cli/commands.h"
#include "cli/plugin_templates.h"
#include "daemon/stdlib/stdlib.h"
#include "daemon/util/atomic_file.h"
#include "daemon/util/untrusted_text.h"
#include "re2/re2.h"

namespace deltascope::cli {
namespace {

absl::string_view View(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// "my-plugin" -> "MyPlugin".
std::string CamelCase(const std::string& name) {
  std::string out;
  bool upper = true;
  for (char c : name) {
    if (c == '-' || c == '_') {
      upper = true;
      continue;
    }
    out += upper ? absl::ascii_toupper(static_cast<unsigned char>(c)) : c;
    upper = false;
  }
  return out;
}

absl::Status CheckName(const std::string& name) {
  if (!RE2::FullMatch(name, "[a-z][a-z0-9_-]{0,39}")) {
    return absl::InvalidArgumentError(
        absl::StrCat("plugin name '", name,
                     "': use a lower-case letter then letters, digits, '-' or '_' (at most 40)"));
  }
  ComparatorRegistry builtins;
  (void)RegisterStdlibComparators(builtins);
  if (builtins.OrderOf(name) >= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("plugin name '", name, "' is a built-in comparator's; choose another"));
  }
  return absl::OkStatus();
}

int New(const std::string& name, const std::string& lang, std::filesystem::path dir) {
  if (absl::Status s = CheckName(name); !s.ok()) {
    PrintError(s.message());
    return kExitTrouble;
  }
  if (dir.empty()) dir = name;
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_empty(dir, ec)) {
    PrintError(absl::StrCat(dir.string(), " exists and is not empty; not writing into it"));
    return kExitTrouble;
  }
  const std::vector<std::pair<std::string, std::string>> fill = {
      {"@NAME@", name},
      {"@IDENT@", absl::StrReplaceAll(name, {{"-", "_"}})},
      {"@CLASS@", CamelCase(name)},
      {"@EXT@", absl::StrCat(".", name)},
      {"@DELTASCOPE_VERSION@", DELTASCOPE_VERSION}};
  int written = 0;
  for (const TemplateFile& t : PluginTemplates()) {
    if (t.lang != lang) continue;
    const std::filesystem::path path = dir / absl::StrReplaceAll(View(t.path), fill);
    std::filesystem::create_directories(path.parent_path(), ec);
    if (absl::Status s = WriteFileAtomically(path, absl::StrReplaceAll(View(t.content), fill));
        !s.ok()) {
      PrintError(s.message());
      return kExitTrouble;
    }
    std::printf("  %s\n", EscapeForTerminal(path.string()).c_str());
    ++written;
  }
  std::printf("created %s, a %s plugin comparing %s files, in %s: see its README.md\n",
              name.c_str(), lang.c_str(), fill.back().second.c_str(),
              EscapeForTerminal(dir.string()).c_str());
  return written > 0 ? 0 : kExitTrouble;
}

}  // namespace

void AddPluginNewCommand(CLI::App* plugins, int* exit_code) {
  auto name = std::make_shared<std::string>();
  auto lang = std::make_shared<std::string>();
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = plugins->add_subcommand(
      "new", "Write a new plugin project (code, manifest or entry point, a test, a README)");
  cmd->add_option("name", *name, "The plugin's name (also its comparator's and extension's)")
      ->required();
  cmd->add_option("--lang", *lang, "python, cpp or go")
      ->required()
      ->check(CLI::IsMember({"python", "cpp", "go"}));
  cmd->add_option("--dir", *dir, "Folder to create (default: ./NAME); must be new or empty");
  cmd->callback([=] { *exit_code = New(*name, *lang, *dir); });
}

}  // namespace deltascope::cli

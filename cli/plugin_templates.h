// The plugin project templates of `deltascope plugins new`, embedded at build time from
// cli/templates/LANG/ (cli/templates/embed.cmake). Paths and contents hold placeholders that
// `plugins new` fills in: @NAME@ (the plugin's name), @IDENT@ (it as an identifier), @CLASS@ (it
// in CamelCase), @EXT@ (the extension its comparator claims).
#ifndef DELTASCOPE_CLI_PLUGIN_TEMPLATES_H_
#define DELTASCOPE_CLI_PLUGIN_TEMPLATES_H_

#include <span>
#include <string_view>

namespace deltascope::cli {

struct TemplateFile {
  std::string_view lang;     // "python", "cpp", "go"
  std::string_view path;     // relative to the project folder
  std::string_view content;  // the template text
};

// Every template file, by language then path (the Go protos last).
std::span<const TemplateFile> PluginTemplates();

}  // namespace deltascope::cli

#endif  // DELTASCOPE_CLI_PLUGIN_TEMPLATES_H_

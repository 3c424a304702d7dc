// Where and how the CLI writes changesets: `--format` and repeatable `-o [format:]path`.
#ifndef DELTASCOPE_CLI_OUTPUT_H_
#define DELTASCOPE_CLI_OUTPUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/render/markdown.h"
#include "deltascope/changeset/v1/changeset.pb.h"

namespace deltascope::cli {

enum class Format { kMarkdown, kJson, kHtml };

struct OutputSpec {
  Format format = Format::kMarkdown;
  std::string path;  // "-" is standard output
};

absl::StatusOr<Format> ParseFormat(const std::string& name);

// Parses "json:out.txt", "report.md", "changes.json" or "report.html" (format from the
// extension, else `fallback`).
absl::StatusOr<OutputSpec> ParseOutputSpec(const std::string& spec, Format fallback);

// Renders the changesets once per format and writes each output (files atomically, through a
// temporary file and a rename).
absl::Status WriteOutputs(const std::vector<changeset::v1::Changeset>& changesets,
                          const std::vector<OutputSpec>& outputs,
                          const MarkdownOptions& markdown_options);

}  // namespace deltascope::cli

#endif  // DELTASCOPE_CLI_OUTPUT_H_

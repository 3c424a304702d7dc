#include "cli/output.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daemon/render/html.h"
#include "daemon/render/json.h"
#include "daemon/util/fd.h"

namespace deltascope::cli {

absl::StatusOr<Format> ParseFormat(const std::string& name) {
  std::string lower = absl::AsciiStrToLower(name);
  if (lower == "markdown" || lower == "md") return Format::kMarkdown;
  if (lower == "json") return Format::kJson;
  if (lower == "html") return Format::kHtml;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown format '", name, "' (expected markdown, json or html)"));
}

absl::StatusOr<OutputSpec> ParseOutputSpec(const std::string& spec, Format fallback) {
  OutputSpec out;
  size_t colon = spec.find(':');
  if (colon != std::string::npos && colon > 0) {
    const std::string prefix = spec.substr(0, colon);
    absl::StatusOr<Format> format = ParseFormat(prefix);
    // A word before the colon ("xml:out.xml") names a format; one with '/' or '.' is a path.
    const bool word = std::all_of(prefix.begin(), prefix.end(), absl::ascii_isalpha);
    if (!format.ok() && word) {
      return absl::InvalidArgumentError(absl::StrCat(
          "-o ", spec, ": unknown output format '", prefix, "' (expected markdown, json or html)"));
    }
    if (format.ok()) {
      out.format = *format;
      out.path = spec.substr(colon + 1);
      if (out.path.empty())
        return absl::InvalidArgumentError(absl::StrCat("-o ", spec, ": no path"));
      return out;
    }
  }
  out.path = spec;
  std::string lower = absl::AsciiStrToLower(spec);
  if (absl::EndsWith(lower, ".json")) {
    out.format = Format::kJson;
  } else if (absl::EndsWith(lower, ".md") || absl::EndsWith(lower, ".markdown")) {
    out.format = Format::kMarkdown;
  } else if (absl::EndsWith(lower, ".html") || absl::EndsWith(lower, ".htm")) {
    out.format = Format::kHtml;
  } else {
    out.format = fallback;
  }
  return out;
}

namespace {

absl::Status WriteFileAtomically(const std::string& path, const std::string& data) {
  std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    return absl::UnavailableError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  absl::Status s = WriteFully(fd.get(), data);
  if (s.ok() && ::fsync(fd.get()) != 0 && errno != EINVAL) {
    s = absl::UnavailableError(std::strerror(errno));
  }
  fd.Reset();
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    s = absl::UnavailableError(std::strerror(errno));
  }
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return absl::UnavailableError(absl::StrCat("cannot write ", path, ": ", s.message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteOutputs(const std::vector<changeset::v1::Changeset>& changesets,
                          const std::vector<OutputSpec>& outputs,
                          const MarkdownOptions& markdown_options) {
  std::optional<std::string> json, markdown, html;
  for (const OutputSpec& out : outputs) {
    const std::string* text;
    if (out.format == Format::kJson) {
      if (!json) json = RenderJson(changesets);
      text = &*json;
    } else if (out.format == Format::kHtml) {
      if (!html) html = RenderHtml(changesets);
      text = &*html;
    } else {
      if (!markdown) markdown = RenderMarkdown(changesets, markdown_options);
      text = &*markdown;
    }
    if (out.path == "-") {
      std::fflush(stdout);
      if (absl::Status s = WriteFully(STDOUT_FILENO, *text); !s.ok()) {
        return absl::UnavailableError(
            absl::StrCat("cannot write to standard output: ", s.message()));
      }
    } else if (absl::Status s = WriteFileAtomically(out.path, *text); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace deltascope::cli

// The JSON form of changesets (docs/changeset.md): pretty, keys sorted, empty fields omitted,
// byte-identical for equal changesets.
#ifndef DELTASCOPE_DAEMON_RENDER_JSON_H_
#define DELTASCOPE_DAEMON_RENDER_JSON_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "deltascope/changeset/v1/changeset.pb.h"

namespace deltascope {

using changeset::v1::Changeset;

// One changeset renders as an object; several (A→B, B→C, ...) as an array of objects.
// Ends with a newline.
std::string RenderJson(const std::vector<Changeset>& changesets);

// The same objects, always as an array, on one line (no indentation, no final newline): for
// embedding (the HTML report). Escapes exactly as RenderJson does.
std::string RenderCompactJson(const std::vector<Changeset>& changesets);

// Parses what RenderJson wrote (an object or an array). `source` names the input in errors.
absl::StatusOr<std::vector<Changeset>> ParseJson(absl::string_view text, absl::string_view source);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_RENDER_JSON_H_

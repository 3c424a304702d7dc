// A hostile plugin's CompareResponse: arbitrary bytes parsed as the message go through the host's
// validation, and what passes is rendered (JSON, Markdown, JSON read back) the way a changeset
// containing it would be.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "daemon/plugin/reply.h"
#include "daemon/render/json.h"
#include "daemon/render/markdown.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

void Check(const deltascope::pluginpb::CompareResponse& response,
           const deltascope::pluginpb::CompareRequest& request) {
  if (!deltascope::ValidateResponse(response, request).ok() || !response.has_node()) return;
  std::vector<deltascope::Changeset> changesets(1);
  changesets[0].set_from_snapshot("old");
  changesets[0].set_to_snapshot("new");
  *changesets[0].mutable_root() = response.node();
  const std::string json = deltascope::RenderJson(changesets);
  (void)deltascope::RenderMarkdown(changesets);
  (void)deltascope::RenderMarkdown(changesets, {deltascope::ClericalSubstantiveGroups()});
  (void)deltascope::ParseJson(json, "fuzz.json");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  deltascope::pluginpb::CompareResponse response;
  if (!response.ParseFromArray(data, static_cast<int>(size))) return 0;
  deltascope::pluginpb::CompareRequest request;
  request.set_path("tables/t.bin");
  Check(response, request);
  request.set_output_dir((deltascope::fuzz::ScratchDir() / "expand").string());
  Check(response, request);
  return 0;
}

// Plugin manifests (*.plugin.yaml) come from plugin authors: any text must parse or fail with a
// status, never crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "daemon/plugin/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<deltascope::Manifest> manifest =
      deltascope::ParseManifest(text, "/nonexistent/fuzz.plugin.yaml");
  if (!manifest.ok()) (void)manifest.status().message();
  // The value parsers are also reached directly (limits: "10s", "512MiB").
  (void)deltascope::ParseDuration(text);
  (void)deltascope::ParseByteSize(text);
  return 0;
}

// The diff configuration file (deltascope diff --config FILE): any text must load or fail with a
// "FILE:LINE: reason" status, never crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "daemon/config/config.h"
#include "daemon/engine/options.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<deltascope::Config> config = deltascope::ParseConfig(text, "fuzz.yaml");
  if (!config.ok()) return 0;
  // A config that loads must also apply (table key regexes compile, limits convert).
  deltascope::DiffOptions options;
  config->ApplyTo(options);
  (void)config->GroupByDefault();
  return 0;
}

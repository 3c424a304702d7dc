// deltascope-plugin-json: the example C++ plugin (a JSON / JSON Lines comparator).
#include "deltascope/plugin/sdk.h"
#include "json_comparator.h"

int main(int argc, char** argv) {
  return deltascope::plugin::Serve<deltascope::json_plugin::JsonComparator>(
      argc, argv, {.name = "json-cpp", .version = "0.1.0"});
}

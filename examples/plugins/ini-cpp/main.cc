// deltascope-plugin-ini: the example C++ plugin (an INI / .properties comparator).
#include "deltascope/plugin/sdk.h"
#include "ini_comparator.h"

int main(int argc, char** argv) {
  return deltascope::plugin::Serve<deltascope::ini_plugin::IniComparator>(
      argc, argv, {.name = "ini-cpp", .version = "0.1.0"});
}

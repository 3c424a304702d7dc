// Fixture for the layering check (tests/CMakeLists.txt): the engine may not see the plugin host.
#include "daemon/plugin/host.h"

// Fixture for the layering check (tests/CMakeLists.txt): gRPC stays in the plugin adapter.
#include <grpcpp/grpcpp.h>

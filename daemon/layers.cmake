# The layers of daemon/, bottom up, and the layers each one may include besides itself
# (docs/architecture.md, "Layers"). One source of truth: daemon/CMakeLists.txt links each layer's
# library to exactly these, and check_layers.cmake fails the build on any other #include.
set(DELTASCOPE_LAYERS util engine sandbox stdlib render plugin config session server)
set(DELTASCOPE_LAYER_util_DEPS "")
set(DELTASCOPE_LAYER_engine_DEPS util)
set(DELTASCOPE_LAYER_sandbox_DEPS util)
set(DELTASCOPE_LAYER_stdlib_DEPS engine util)
set(DELTASCOPE_LAYER_render_DEPS stdlib engine util)
set(DELTASCOPE_LAYER_plugin_DEPS engine sandbox util)
set(DELTASCOPE_LAYER_config_DEPS plugin render engine util)
set(DELTASCOPE_LAYER_session_DEPS config plugin render stdlib sandbox engine util)
set(DELTASCOPE_LAYER_server_DEPS session config plugin render stdlib sandbox engine util)

# The front ends: deltascoped's main (daemon/*.cc) and the CLI (cli/). The CLI never includes the
# server; it reaches the daemon as a gRPC client only (cli/daemon_client.*).
set(DELTASCOPE_FRONTEND_daemon_DEPS server session config plugin render stdlib sandbox engine util)
set(DELTASCOPE_FRONTEND_cli_DEPS session config plugin render stdlib sandbox engine util)

# gRPC (<grpcpp/...>, "grpc/...", *.grpc.pb.h) only in the plugin adapter, the server and the
# daemon client; everywhere else plugins and the daemon are plain C++ and protobuf messages.
set(DELTASCOPE_GRPC_ALLOWED daemon/plugin/ daemon/server/ daemon/deltascoped.cc
    cli/daemon_client.h cli/daemon_client.cc cli/daemon_command.cc cli/daemon_connect.h
    cli/daemon_connect.cc)
# Headers private to their layer: the plugin adapter's gRPC plumbing.
set(DELTASCOPE_PRIVATE_HEADERS daemon/plugin/attached.h daemon/plugin/reply.h)

# find_package(deltascope_plugin_sdk 0.1) after `cmake --install`: defines deltascope::plugin_sdk
# (the SDK), deltascope::proto_grpc and deltascope::proto (the generated protocol and changeset
# classes it builds on). deltascope_plugin_sdkConfigVersion.cmake checks the version asked for.
include(CMakeFindDependencyMacro)
find_dependency(Threads)
find_dependency(Protobuf)
find_dependency(gRPC CONFIG)
find_dependency(absl CONFIG)

# Plugins link gRPC, protobuf, Abseil and OpenSSL from their static archives and libstdc++ in,
# for a fast start-up (no dynamic loading of ~57 libraries). Set it OFF before find_package when
# your project links those libraries dynamically elsewhere (one copy of each per process).
option(DELTASCOPE_PLUGIN_STATIC_LINK "Link plugins with static third-party libraries" ON)
include("${CMAKE_CURRENT_LIST_DIR}/DeltascopeStaticLink.cmake")

# The targets `cmake --install` exported (install(EXPORT) in plugin-sdk-cpp/CMakeLists.txt).
include("${CMAKE_CURRENT_LIST_DIR}/deltascope_plugin_sdkTargets.cmake")
if(DELTASCOPE_PLUGIN_STATIC_LINK)
  deltascope_prefer_static_archives(gRPC::grpc++ protobuf::libprotobuf absl::status absl::statusor
                                    absl::strings)
  deltascope_static_link_options(_deltascope_link_options)
  set_property(TARGET deltascope::plugin_sdk APPEND PROPERTY
               INTERFACE_LINK_OPTIONS ${_deltascope_link_options})
  unset(_deltascope_link_options)
endif()

# find_package(deltascope_plugin_sdk) after `cmake --install`: defines deltascope::plugin_sdk
# (the SDK) and deltascope::proto (the generated protocol and changeset classes it builds on).
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

get_filename_component(_deltascope_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET deltascope::proto)
  add_library(deltascope::proto STATIC IMPORTED)
  set_target_properties(deltascope::proto PROPERTIES
    IMPORTED_LOCATION "${_deltascope_prefix}/lib/libdeltascope_proto.a"
    INTERFACE_INCLUDE_DIRECTORIES "${_deltascope_prefix}/include"
    INTERFACE_LINK_LIBRARIES "protobuf::libprotobuf")
endif()
if(NOT TARGET deltascope::proto_grpc)
  add_library(deltascope::proto_grpc STATIC IMPORTED)
  set_target_properties(deltascope::proto_grpc PROPERTIES
    IMPORTED_LOCATION "${_deltascope_prefix}/lib/libdeltascope_proto_grpc.a"
    INTERFACE_INCLUDE_DIRECTORIES "${_deltascope_prefix}/include"
    INTERFACE_LINK_LIBRARIES "deltascope::proto;gRPC::grpc++")
endif()
if(NOT TARGET deltascope::plugin_sdk)
  add_library(deltascope::plugin_sdk STATIC IMPORTED)
  set_target_properties(deltascope::plugin_sdk PROPERTIES
    IMPORTED_LOCATION "${_deltascope_prefix}/lib/libdeltascope_plugin_sdk.a"
    INTERFACE_INCLUDE_DIRECTORIES "${_deltascope_prefix}/include"
    INTERFACE_LINK_LIBRARIES
      "deltascope::proto_grpc;deltascope::proto;gRPC::grpc++;protobuf::libprotobuf;absl::status;absl::statusor;absl::strings;Threads::Threads")
endif()
if(DELTASCOPE_PLUGIN_STATIC_LINK)
  deltascope_prefer_static_archives(gRPC::grpc++ protobuf::libprotobuf absl::status absl::statusor
                                    absl::strings)
  deltascope_static_link_options(_deltascope_link_options)
  set_property(TARGET deltascope::plugin_sdk APPEND PROPERTY
               INTERFACE_LINK_OPTIONS ${_deltascope_link_options})
  unset(_deltascope_link_options)
endif()
unset(_deltascope_prefix)

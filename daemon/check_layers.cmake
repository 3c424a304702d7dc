# Fails when a source includes a layer it may not (daemon/layers.cmake): an upward include, gRPC
# outside the plugin adapter and the server, or another layer's private header.
#   cmake -DSOURCE_DIR=<tree to check> [-DLAYERS=<layers.cmake>] -P check_layers.cmake
cmake_minimum_required(VERSION 3.22)
if(NOT LAYERS)
  set(LAYERS ${CMAKE_CURRENT_LIST_DIR}/layers.cmake)
endif()
include(${LAYERS})

set(problems "")
string(REPLACE ";" ", " grpc_allowed "${DELTASCOPE_GRPC_ALLOWED}")

# Checks every #include of the files matching `globs` against `allowed` (layer names) for the
# file's own layer `own` ("" for a front end).
function(check_files own allowed)
  file(GLOB files ${ARGN})
  foreach(file ${files})
    file(RELATIVE_PATH rel ${SOURCE_DIR} ${file})
    file(STRINGS ${file} includes REGEX "^[ \t]*#[ \t]*include")
    set(grpc_ok FALSE)
    foreach(prefix ${DELTASCOPE_GRPC_ALLOWED})
      string(FIND "${rel}" "${prefix}" at)
      if(at EQUAL 0)
        set(grpc_ok TRUE)
      endif()
    endforeach()
    foreach(line ${includes})
      if(line MATCHES "\"daemon/([a-z_]+)/([^\"]+)\"")
        set(layer ${CMAKE_MATCH_1})
        set(header daemon/${CMAKE_MATCH_1}/${CMAKE_MATCH_2})
        if(NOT layer STREQUAL own AND NOT layer IN_LIST allowed)
          string(APPEND problems "${rel}: includes ${header}: layer '${own}' may not include "
                 "daemon/${layer}/ (allowed: ${allowed})\n")
        elseif(NOT layer STREQUAL own AND header IN_LIST DELTASCOPE_PRIVATE_HEADERS)
          string(APPEND problems "${rel}: includes ${header}, private to daemon/${layer}/\n")
        endif()
      endif()
      if(NOT grpc_ok AND (line MATCHES "<grpc" OR line MATCHES "\"grpc/"
                          OR line MATCHES "\\.grpc\\.pb\\.h"))
        string(APPEND problems "${rel}: includes gRPC (${line}); only ${grpc_allowed} may\n")
      endif()
    endforeach()
  endforeach()
  set(problems "${problems}" PARENT_SCOPE)
endfunction()

foreach(layer ${DELTASCOPE_LAYERS})
  check_files(${layer} "${DELTASCOPE_LAYER_${layer}_DEPS}"
              ${SOURCE_DIR}/daemon/${layer}/*.h ${SOURCE_DIR}/daemon/${layer}/*.cc)
endforeach()
check_files(deltascoped "${DELTASCOPE_FRONTEND_daemon_DEPS}" ${SOURCE_DIR}/daemon/*.cc)
check_files(cli "${DELTASCOPE_FRONTEND_cli_DEPS}" ${SOURCE_DIR}/cli/*.h ${SOURCE_DIR}/cli/*.cc)

if(problems)
  message(FATAL_ERROR "layering violations (daemon/layers.cmake, docs/architecture.md):\n"
          "${problems}")
endif()

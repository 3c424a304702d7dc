# Static linking of the third-party libraries (gRPC, protobuf, Abseil, OpenSSL, c-ares, re2, zlib,
# and whatever else is passed in), for fast process start-up: a dynamically linked plugin maps ~57
# shared libraries and the loader resolves ~15,000 symbol relocations before main (docs/
# performance.md). glibc stays dynamic. Used by deltascope's own build (DELTASCOPE_STATIC_LINK) and
# by the installed SDK's package config (DELTASCOPE_PLUGIN_STATIC_LINK), so plugin authors get the
# same start-up by default.
#
#   deltascope_prefer_static_archives(gRPC::grpc++ protobuf::libprotobuf ...)
#     Points every imported library in the link closure of the given targets at the static archive
#     (lib<name>.a) next to its shared library, where one exists; libraries without an archive stay
#     shared. This changes the imported targets for the whole project (they are global to it).
#
#   deltascope_static_pkg_config(PkgConfig::LIBARCHIVE LIBARCHIVE [KEEP_SHARED xml2 ...])
#     The same for a pkg_check_modules(... IMPORTED_TARGET ...) target, with the private
#     dependencies its static archive needs (pkg-config --static); KEEP_SHARED names dependencies
#     to link as shared libraries even when they have an archive.
#
#   deltascope_static_executable(my-plugin [INTERFACE])
#     Link options for a shipped executable (INTERFACE: for every executable linking a library): libstdc++ and libgcc linked in, unused sections
#     dropped, only needed shared libraries recorded, compact relative relocations when the
#     toolchain has them.

include_guard(GLOBAL)
include(CheckLinkerFlag)

# glibc's libraries stay shared (a static glibc cannot load NSS modules, and gains nothing here).
set(_DELTASCOPE_GLIBC_LIBS c m dl rt pthread util resolv)

# The archive for a library name (foo) or for "-lfoo", if there is one; else "".
function(_deltascope_static_archive_for name hints out)
  unset(found)  # find_library skips the search when its variable is already set
  string(REGEX REPLACE "^-l" "" name "${name}")
  if(NOT name IN_LIST _DELTASCOPE_GLIBC_LIBS)
    find_library(found NAMES lib${name}.a HINTS ${hints} NO_CACHE)
  endif()
  if(found)
    set(${out} "${found}" PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

# "/usr/lib/x86_64-linux-gnu/libfoo.so.1.2" or "-lfoo" -> "/usr/lib/x86_64-linux-gnu/libfoo.a" if it
# exists, else "".
function(_deltascope_static_sibling path out)
  set(${out} "" PARENT_SCOPE)
  if(path MATCHES "^-l[A-Za-z0-9_+-]+$")
    _deltascope_static_archive_for("${path}" "" archive)
    set(${out} "${archive}" PARENT_SCOPE)
  elseif(path MATCHES "^(.*/lib[^/]+)\\.so(\\.[0-9.]+)?$")
    set(archive "${CMAKE_MATCH_1}.a")  # (the match is read after it ran, not in the same if)
    if(EXISTS "${archive}")
      set(${out} "${archive}" PARENT_SCOPE)
    endif()
  endif()
endfunction()

function(_deltascope_static_locations target)
  get_target_property(configs ${target} IMPORTED_CONFIGURATIONS)
  set(props IMPORTED_LOCATION)
  if(configs)
    foreach(config ${configs})
      list(APPEND props IMPORTED_LOCATION_${config})
    endforeach()
  endif()
  foreach(prop ${props})
    get_target_property(location ${target} ${prop})
    if(location)
      _deltascope_static_sibling("${location}" archive)
      if(archive)
        set_target_properties(${target} PROPERTIES ${prop} "${archive}")
      endif()
    endif()
  endforeach()
endfunction()

function(deltascope_prefer_static_archives)
  set(queue ${ARGN})
  set(seen)
  while(queue)
    list(POP_FRONT queue target)
    if(target IN_LIST seen OR NOT TARGET ${target})
      continue()
    endif()
    list(APPEND seen ${target})
    get_target_property(imported ${target} IMPORTED)
    get_target_property(type ${target} TYPE)
    if(NOT imported)
      continue()
    endif()
    if(NOT type STREQUAL "INTERFACE_LIBRARY")
      _deltascope_static_locations(${target})
    endif()
    get_target_property(deps ${target} INTERFACE_LINK_LIBRARIES)
    if(NOT deps)
      continue()
    endif()
    # Follow the dependencies; full paths to shared libraries (pkg-config targets) are swapped too.
    set(rewritten)
    foreach(dep ${deps})
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" name "${dep}")
      if(TARGET ${name})
        list(APPEND queue ${name})
      else()
        _deltascope_static_sibling("${name}" archive)
        if(archive)
          string(REPLACE "${name}" "${archive}" dep "${dep}")
        endif()
      endif()
      list(APPEND rewritten "${dep}")
    endforeach()
    set_target_properties(${target} PROPERTIES INTERFACE_LINK_LIBRARIES "${rewritten}")
  endwhile()
  # The static protobuf archive needs zlib (pkg-config --static protobuf); its target omits it.
  if(TARGET protobuf::libprotobuf AND TARGET ZLIB::ZLIB AND "protobuf::libprotobuf" IN_LIST seen)
    set_property(TARGET protobuf::libprotobuf APPEND PROPERTY INTERFACE_LINK_LIBRARIES ZLIB::ZLIB)
  endif()
endfunction()

function(deltascope_static_pkg_config target prefix)
  cmake_parse_arguments(PARSE_ARGV 2 ARG "" "" "KEEP_SHARED")
  set(libs)
  foreach(name ${${prefix}_STATIC_LIBRARIES})
    # The archive when there is one, else the shared library: Debian ships no libzstd.a, liblz4.a
    # or libacl.a, and without their -dev packages not even libzstd.so, only libzstd.so.1.
    set(archive "")
    if(NOT name IN_LIST ARG_KEEP_SHARED)
      _deltascope_static_archive_for(${name} "${${prefix}_STATIC_LIBRARY_DIRS}" archive)
    endif()
    if(NOT archive AND NOT name IN_LIST _DELTASCOPE_GLIBC_LIBS)
      unset(shared)
      find_library(shared NAMES lib${name}.so HINTS ${${prefix}_STATIC_LIBRARY_DIRS} NO_CACHE)
      if(NOT shared)
        file(GLOB shared /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/lib${name}.so.[0-9]*
             /lib/${CMAKE_LIBRARY_ARCHITECTURE}/lib${name}.so.[0-9]*)
        list(SORT shared)  # libzstd.so.1 (the soname) before libzstd.so.1.5.4
      endif()
      if(shared)
        list(GET shared 0 archive)
      endif()
    endif()
    if(archive)
      list(APPEND libs "${archive}")
    else()
      list(APPEND libs "${name}")
    endif()
  endforeach()
  set_target_properties(${target} PROPERTIES INTERFACE_LINK_LIBRARIES "${libs}")
endfunction()

# The link options as a list (LINKER: prefixes, for target_link_options or INTERFACE_LINK_OPTIONS).
function(deltascope_static_link_options out)
  set(options -static-libstdc++ -static-libgcc LINKER:--gc-sections LINKER:--as-needed LINKER:-O1)
  if(NOT DEFINED CACHE{DELTASCOPE_HAVE_RELR})
    check_linker_flag(CXX "LINKER:-z,pack-relative-relocs" DELTASCOPE_HAVE_RELR)
  endif()
  if(DELTASCOPE_HAVE_RELR)
    list(APPEND options LINKER:-z,pack-relative-relocs)
  endif()
  set(${out} ${options} PARENT_SCOPE)
endfunction()

# deltascope_static_executable(<target> [INTERFACE]): INTERFACE for a library whose every consumer
# executable should be linked this way (the plugin SDK).
function(deltascope_static_executable target)
  set(scope PRIVATE)
  if(ARGN STREQUAL "INTERFACE")
    set(scope INTERFACE)
  endif()
  deltascope_static_link_options(options)
  target_link_options(${target} ${scope} ${options})
endfunction()

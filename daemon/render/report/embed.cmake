# Writes OUTPUT, a C++ header holding report.css and report.js of ASSET_DIR as
# `inline constexpr char NAME[]` (NUL-terminated bytes), so the HTML report's stylesheet and
# script stay readable files under daemon/render/report/ yet ship inside the binary.
set(body "// Generated from daemon/render/report/ by embed.cmake: do not edit.\n#pragma once\n\n")
string(APPEND body "namespace deltascope::html_assets {\n\n")
foreach(asset kReportCss=report.css kReportJs=report.js)
  string(REGEX MATCH "^([A-Za-z0-9_]+)=(.*)$" _ "${asset}")
  set(name "${CMAKE_MATCH_1}")
  file(READ "${ASSET_DIR}/${CMAKE_MATCH_2}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
  string(REGEX REPLACE "(('\\\\x[0-9a-f][0-9a-f]',){16})" "\\1\n  " bytes "${bytes}")
  string(APPEND body "inline constexpr char ${name}[] = {\n  ${bytes}'\\0'};\n\n")
endforeach()
string(APPEND body "}  // namespace deltascope::html_assets\n")
file(WRITE "${OUTPUT}.tmp" "${body}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")

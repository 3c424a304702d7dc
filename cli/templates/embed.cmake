# Turns the plugin project templates (cli/templates/LANG/...) into a C++ source defining
# PluginTemplates() (cli/plugin_templates.h), so `deltascope plugins new` needs no data files.
#   cmake -DTEMPLATE_DIR=cli/templates -DPROTO_DIR=proto -DOUTPUT=plugin_templates.cc -P embed.cmake
# Each file becomes a raw string literal; a template containing the delimiter is an error. The Go
# template also gets the protocol's .proto files (under proto/), since it has no SDK.
set(delimiter "ds_tmpl")
set(body "")
function(embed lang path file)
  file(READ ${file} content)
  string(FIND "${content}" ")${delimiter}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${file} contains the raw string delimiter ${delimiter}")
  endif()
  string(APPEND body "    {\"${lang}\", \"${path}\", R\"${delimiter}(${content})${delimiter}\"},\n")
  set(body "${body}" PARENT_SCOPE)
endfunction()

file(GLOB_RECURSE files RELATIVE ${TEMPLATE_DIR} ${TEMPLATE_DIR}/*/*)
list(SORT files)
foreach(rel IN LISTS files)
  string(FIND "${rel}" "/" slash)
  string(SUBSTRING "${rel}" 0 ${slash} lang)
  math(EXPR rest "${slash} + 1")
  string(SUBSTRING "${rel}" ${rest} -1 path)
  embed(${lang} ${path} ${TEMPLATE_DIR}/${rel})
endforeach()
foreach(proto deltascope/changeset/v1/changeset.proto deltascope/plugin/v1/comparator.proto)
  embed(go proto/${proto} ${PROTO_DIR}/${proto})
endforeach()
file(WRITE ${OUTPUT}.tmp
  "// Generated from cli/templates/ by cli/templates/embed.cmake: do not edit.\n"
  "#include \"cli/plugin_templates.h\"\n\n"
  "namespace deltascope::cli {\n\n"
  "std::span<const TemplateFile> PluginTemplates() {\n"
  "  static constexpr TemplateFile kFiles[] = {\n${body}  };\n"
  "  return kFiles;\n}\n\n"
  "}  // namespace deltascope::cli\n")
# Only a real change rebuilds what includes it.
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.tmp)

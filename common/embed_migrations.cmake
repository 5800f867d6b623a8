# Writes a C++ file defining <NAMESPACE>::EmbeddedMigrations() from SQL files, in the given
# order. -DOUTPUT=<file.cc> -DCOMMON_DIR=<dir> -DSERVICE_DIR=<dir> [-DNAMESPACE=fs::cases]
if(NOT NAMESPACE)
  set(NAMESPACE fs)
endif()
file(GLOB common_files "${COMMON_DIR}/V*__*.sql")
file(GLOB service_files "${SERVICE_DIR}/V*__*.sql")
list(SORT common_files)
list(SORT service_files)
set(body "")
foreach(prefix common service)
  foreach(path IN LISTS ${prefix}_files)
    get_filename_component(fname "${path}" NAME_WE)
    string(REGEX MATCH "^(V[0-9]+)__(.+)$" _ "${fname}")
    set(version "${CMAKE_MATCH_1}")
    set(mname "${CMAKE_MATCH_2}")
    if(prefix STREQUAL "common")
      set(version "common/${version}")
    endif()
    file(READ "${path}" sql)
    string(APPEND body "      {\"${version}\", \"${mname}\", R\"fs_sql(${sql})fs_sql\"},\n")
  endforeach()
endforeach()
file(WRITE "${OUTPUT}.tmp"
"// Generated from migrations/*.sql by common/embed_migrations.cmake. Do not edit.
#include \"common/migrations.h\"

namespace ${NAMESPACE} {

const std::vector<::fs::Migration>& EmbeddedMigrations() {
  static const auto* migrations = new std::vector<::fs::Migration>{
${body}  };
  return *migrations;
}

}  // namespace ${NAMESPACE}
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)

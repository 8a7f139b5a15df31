# Writes OUT with the project version and `git describe` of SOURCE_DIR, touching it only when
# the text changes, so every build stamps the current revision without needless rebuilds.
execute_process(COMMAND git describe --always --dirty --tags WORKING_DIRECTORY ${SOURCE_DIR}
  OUTPUT_VARIABLE QSMTK_GIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT QSMTK_GIT)
  set(QSMTK_GIT "unknown")
endif()
configure_file(${SOURCE_DIR}/src/core/version.cpp.in ${OUT} @ONLY)

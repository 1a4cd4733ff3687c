petrel_fuzz_target(fuzz_tmpl_parse SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_tmpl_parse.c LIBS petrel_tmpl)

petrel_fuzz_target(fuzz_listunsub SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_listunsub.c LIBS petrel_mime)

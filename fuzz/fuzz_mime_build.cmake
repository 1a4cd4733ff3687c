petrel_fuzz_target(fuzz_mime_build SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_mime_build.c LIBS petrel_mime)

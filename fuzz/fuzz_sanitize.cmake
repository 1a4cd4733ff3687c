petrel_fuzz_target(fuzz_sanitize SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_sanitize.c LIBS petrel_sanitize)

petrel_fuzz_target(fuzz_http_head SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_http_head.c LIBS petrel_http petrel_live)

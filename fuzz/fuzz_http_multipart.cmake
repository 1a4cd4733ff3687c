petrel_fuzz_target(fuzz_http_multipart SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_http_multipart.c LIBS petrel_http)

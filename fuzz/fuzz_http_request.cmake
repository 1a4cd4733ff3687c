petrel_fuzz_target(fuzz_http_request SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_http_request.c LIBS petrel_http)

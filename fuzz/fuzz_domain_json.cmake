petrel_fuzz_target(fuzz_domain_json SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_domain_json.c LIBS petrel_config)

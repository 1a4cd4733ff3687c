petrel_fuzz_target(fuzz_ini SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_ini.c LIBS petrel_config)

petrel_fuzz_target(fuzz_sieve SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_sieve.c LIBS petrel_sieve)

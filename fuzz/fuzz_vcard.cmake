petrel_fuzz_target(fuzz_vcard SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_vcard.c LIBS petrel_mime)

petrel_fuzz_target(fuzz_imap_text SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_imap_text.c LIBS petrel_imap)

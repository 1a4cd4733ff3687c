petrel_fuzz_target(fuzz_mime SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_mime.c LIBS petrel_mime petrel_imap petrel_sanitize)

petrel_fuzz_target(fuzz_snooze_rewrite SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_snooze_rewrite.c LIBS petrel_mail)

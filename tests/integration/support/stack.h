/*
 * Where the test servers are: reads $PETREL_MAILSTACK_DIR/mailstack.env
 * (written by tests/harness/mailstack.py) once.
 */
#ifndef PETREL_TEST_STACK_H
#define PETREL_TEST_STACK_H

#include <stdint.h>

/* The value of KEY in mailstack.env ("IMAP_PORT", "CA_FILE", "USER1"…),
 * or NULL. Fails the test if the stack is not described. */
const char *stack_get(const char *key);
/* A port from the env file, e.g. stack_port("IMAP_PORT"). */
uint16_t stack_port(const char *key);
/* The password of a user listed in the env file (USERn/PASSn). */
const char *stack_password(const char *email);

#endif

/*
 * One test plugin source, built once per FIXTURE_* variant into
 * <name>.so: a good plugin that uses every hook, and plugins each broken
 * in one way the loader must refuse. It includes only the public header,
 * as an out-of-tree plugin would.
 */
#include <string.h>

#include "petrel/plugin.h"

#ifndef FIXTURE_NAME
#error FIXTURE_NAME must be set
#endif

static const char *const colours[] = {"red", "green", NULL};

static const struct petrel_option options[] = {
        {.name = "min_length",
         .type = PETREL_OPTION_INT,
         .label = "Minimum length",
         .default_value = "8",
         .min = 1,
#ifdef FIXTURE_BAD_OPTION
         /* The default lies outside the range: refused. */
         .max = 4},
#else
         .max = 64},
#endif
        {.name = "enabled_feature",
         .type = PETREL_OPTION_BOOL,
         .label = "Feature",
         .default_value = "true"},
        {.name = "colour",
         .type = PETREL_OPTION_CHOICE,
         .label = "Colour",
         .default_value = "red",
         .choices = colours},
        {.name = "greeting",
         .type = PETREL_OPTION_STRING,
         .label = "Greeting",
         .default_value = "hello",
         .max = 16},
};

static int
init(const struct petrel_host *host, struct petrel_call *call)
{
#ifdef FIXTURE_INIT_REFUSES
	return host->refuse(call, "init says no");
#else
	(void)host;
	(void)call;
	return 0;
#endif
}

static int
login_before(const struct petrel_host *host, struct petrel_call *call,
             const struct petrel_login *login)
{
	if (strncmp(login->email, "blocked@", 8) == 0)
		return host->refuse(call, host->translate(call, "L_BLOCKED"));
	return 0;
}

static int
send_before(const struct petrel_host *host, struct petrel_call *call,
            const struct petrel_send *msg)
{
	/* Refused headers must not get through; the good one must. */
	(void)host->add_header(call, "From", "evil@example.test");
	(void)host->add_header(call, "X-Bad", "line\r\nBcc: x@example.test");
	(void)host->add_header(call, "Content-Type", "text/html");
	(void)host->add_header(call, "X-Fixture-Greeting",
	                       host->option(call, "greeting"));
	if (msg->subject != NULL && strcmp(msg->subject, "refuse me") == 0)
		return host->refuse(call, "not this subject");
	return 0;
}

static void
message_view(const struct petrel_host *host, struct petrel_call *call,
             const struct petrel_view *view)
{
	(void)view;
	(void)host->notice(call, "first notice");
	(void)host->notice(call, "bad\nnotice");
}

static int
echo(const struct petrel_host *host, struct petrel_call *call)
{
	const char *text = host->arg(call, "text");

	if (text == NULL)
		return host->refuse(call, "text is missing");
	(void)host->result_string(call, "text", text);
	(void)host->result_string(call, "user",
	                          host->user(call) ? host->user(call) : "");
	(void)host->result_bool(call, "feature",
	                        host->option_bool(call, "enabled_feature"));
	(void)host->result_string(call, "bad key", "x");
	return 0;
}

/* ABI 1.1: a second step for "second@" addresses, whose answer is 42. */
static int
login_check(const struct petrel_host *host, struct petrel_call *call,
            const struct petrel_login *login)
{
	if (strncmp(login->email, "second@", 7) != 0)
		return 0;
	if (login->second_factor == NULL)
		return host->challenge(call, "What is the answer?");
	if (strcmp(login->second_factor, "42") != 0)
		return host->refuse(call, "wrong answer");
	return 0;
}

#if defined(FIXTURE_ABI_1_0)
/* Built as a 1.0 plugin: the host must not read the 1.1 members. */
#define HOOKS_SIZE offsetof(struct petrel_hooks, login_check)
#define SETTINGS_SIZE offsetof(struct petrel_settings_section, load_action)
#define FIXTURE_MINOR 0
#else
#define HOOKS_SIZE sizeof(struct petrel_hooks)
#define SETTINGS_SIZE sizeof(struct petrel_settings_section)
#define FIXTURE_MINOR PETREL_PLUGIN_ABI_MINOR
#endif

/* ABI 1.1's result_item: which items were taken ("y") or refused ("n"). */
static int
items(const struct petrel_host *host, struct petrel_call *call)
{
	const char *good[] = {"id", "1", "name", "One", NULL};
	const char *bad_key[] = {"id", "2", "bad key", "x", NULL};
	const char *odd[] = {"id", NULL};
	const char *bad_utf8[] = {"id", "\xff", NULL};
	char seen[5];

	seen[0] = host->result_item(call, "items", good) == 0 ? 'y' : 'n';
	seen[1] = host->result_item(call, "items", bad_key) == 0 ? 'y' : 'n';
	seen[2] = host->result_item(call, "items", odd) == 0 ? 'y' : 'n';
	seen[3] = host->result_item(call, "items", bad_utf8) == 0 ? 'y' : 'n';
	seen[4] = '\0';
	(void)host->result_string(call, "seen", seen);
	(void)host->result_string(call, "storage",
	                          host->data_dir(call) != NULL ? "yes" : "no");
	return 0;
}

static const struct petrel_action actions[] = {
        {.name = "Echo", .run = echo},
        {.name = "Items", .run = items},
};

#ifdef FIXTURE_BAD_COMPOSE
/* A compose menu whose list action does not exist. */
static const struct petrel_compose_menu compose_menu = {
        .size = sizeof(struct petrel_compose_menu),
        .label = "Menu",
        .list_action = "Nope",
        .label_key = "name",
        .text_key = "body",
};
#endif

static const struct petrel_field fields[] = {
        {.name = "text", .label = "Text", .type = "text", .required = true},
};

static const struct petrel_settings_section settings = {
        .size = SETTINGS_SIZE,
        .title = "Fixture",
        .fields = fields,
        .n_fields = 1,
        .save_action = "Echo",
#if defined(FIXTURE_BAD_LOAD_ACTION) || defined(FIXTURE_ABI_1_0)
        .load_action = "Nope",
#else
        .load_action = "Echo",
#endif
};

static const struct petrel_hooks hooks = {
        .size = HOOKS_SIZE,
        .init = init,
        .login_before = login_before,
        .send_before = send_before,
        .message_view = message_view,
        .actions = actions,
        .n_actions = sizeof(actions) / sizeof(actions[0]),
        .settings = &settings,
        .login_check = login_check,
#ifdef FIXTURE_BAD_COMPOSE
        .compose_menu = &compose_menu,
#endif
};

#ifndef FIXTURE_NO_DESCRIPTOR
PETREL_PLUGIN_EXPORT const struct petrel_plugin petrel_plugin_v1 = {
#ifdef FIXTURE_WRONG_MAJOR
        .abi_major = PETREL_PLUGIN_ABI_MAJOR + 1,
#else
        .abi_major = PETREL_PLUGIN_ABI_MAJOR,
#endif
#ifdef FIXTURE_NEWER_MINOR
        .abi_minor = PETREL_PLUGIN_ABI_MINOR + 1,
#else
        .abi_minor = FIXTURE_MINOR,
#endif
        .size = sizeof(struct petrel_plugin),
#ifdef FIXTURE_WRONG_NAME
        .name = "someone-else",
#else
        .name = FIXTURE_NAME,
#endif
        .version = "1.2.3",
        .description = "A test plugin",
        .options = options,
        .n_options = sizeof(options) / sizeof(options[0]),
        .option_size = sizeof(struct petrel_option),
        .hooks = &hooks,
};
#else
/* Something exported, but not the descriptor. */
PETREL_PLUGIN_EXPORT const void *const petrel_plugin_v0[] = {options, &hooks};
#endif

/*
 * hello - the smallest useful Petrel plugin, built out of tree.
 *
 * It adds "X-Hello: <greeting>" to every message sent, shows one line
 * above each message read, and answers POST /api/plugin/hello/Greet with
 * {"result": {"greeting": "..."}}. Build it against the installed header:
 *
 *   cc -shared -fPIC -fvisibility=hidden $(pkg-config --cflags petrel-plugin) \
 *      -o hello.so hello.c
 *
 * then copy hello.so into Petrel's plugins directory and add "hello" to
 * [plugins] enabled_list (see docs/PLUGINS.md).
 */
#include <petrel/plugin.h>

static const struct petrel_option options[] = {
        {.name = "greeting",
         .type = PETREL_OPTION_STRING,
         .label = "Greeting",
         .default_value = "Hello from Petrel",
         .max = 100},
};

static int
send_before(const struct petrel_host *host, struct petrel_call *call,
            const struct petrel_send *msg)
{
	(void)msg;
	return host->add_header(call, "X-Hello", host->option(call, "greeting"));
}

static void
message_view(const struct petrel_host *host, struct petrel_call *call,
             const struct petrel_view *view)
{
	(void)view;
	(void)host->notice(call, host->option(call, "greeting"));
}

static int
greet(const struct petrel_host *host, struct petrel_call *call)
{
	return host->result_string(call, "greeting",
	                           host->option(call, "greeting"));
}

static const struct petrel_action actions[] = {
        {.name = "Greet", .run = greet},
};

static const struct petrel_hooks hooks = {
        .size = sizeof(struct petrel_hooks),
        .send_before = send_before,
        .message_view = message_view,
        .actions = actions,
        .n_actions = 1,
};

PETREL_PLUGIN_EXPORT const struct petrel_plugin petrel_plugin_v1 = {
        .abi_major = PETREL_PLUGIN_ABI_MAJOR,
        .abi_minor = PETREL_PLUGIN_ABI_MINOR,
        .size = sizeof(struct petrel_plugin),
        .name = "hello",
        .version = "1.0",
        .description = "An example: a header, a notice and an action.",
        .options = options,
        .n_options = 1,
        .option_size = sizeof(struct petrel_option),
        .hooks = &hooks,
};

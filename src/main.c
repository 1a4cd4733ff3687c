/*
 * petrel - subcommand dispatch only.
 *
 *   petrel serve --listen unix:/run/petrel/petrel.sock --threads 4 --data DIR
 *   petrel check-config --data DIR [--strict]
 *   petrel admin init|passwd [--data DIR] [--credentials-file PATH]
 *   petrel plugins [--data DIR]
 *   petrel doctor [--data DIR] [--domain D] [--json]
 *   petrel version
 *
 * Started by a web server as CGI (no arguments, GATEWAY_INTERFACE set), it
 * answers that one request, with the data directory from PETREL_DATA.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "admin/admin.h"
#include "config/config.h"
#include "doctor/doctor.h"
#include "http/http.h"
#include "live/live.h"
#include "plugin/plugin.h"
#include "web/web.h"
#include "core/banned.h"

#ifndef PETREL_INSTALL_SHARE_DIR
#define PETREL_INSTALL_SHARE_DIR "/usr/share/petrel"
#endif
#ifndef PETREL_BIN_TO_SHARE
#define PETREL_BIN_TO_SHARE "../share/petrel"
#endif
#define PETREL_DEFAULT_DATA_DIR "/var/lib/petrel"

static void
usage(FILE *out)
{
	fprintf(out,
	        "usage: petrel serve --listen unix:PATH|HOST:PORT [--threads N]"
	        " [--data DIR] [--share DIR] [--static-url URL]\n"
	        "                    [--events unix:PATH|HOST:PORT]\n"
	        "       petrel check-config [--data DIR] [--strict]\n"
	        "       petrel admin init|passwd [--data DIR]"
	        " [--credentials-file PATH]\n"
	        "       petrel admin credentials-deleted [--data DIR]\n"
	        "       petrel plugins [--data DIR]\n"
	        "       petrel doctor [--data DIR] [--domain D] [--json]\n"
	        "       petrel version\n"
	        "\n"
	        "DIR defaults: --data %s (or $PETREL_DATA),\n"
	        "--share (templates, i18n, static): $PETREL_SHARE, else %s,\n"
	        "else %s next to the binary.\n"
	        "Plugins: $PETREL_PLUGINS, else %s.\n",
	        PETREL_DEFAULT_DATA_DIR, PETREL_INSTALL_SHARE_DIR,
	        PETREL_BIN_TO_SHARE, PETREL_INSTALL_PLUGIN_DIR);
}

static bool
dir_has_templates(const char *dir)
{
	char path[4096];
	struct stat st;

	return pt_snprintf_ok(path, sizeof(path), "%s/templates", dir) &&
	       stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The directory this binary was started from ("" if unknown), in buf. */
static const char *
exe_dir(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	char *slash;

	if (n <= 0 || (size_t)n >= size - 1)
		return "";
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (slash == NULL)
		return "";
	*slash = '\0';
	return buf;
}

#ifdef PETREL_BUILD_DIR
/* True when the binary runs from the build tree it was built in. */
static bool
is_build_tree_binary(const char *dir)
{
	char *built = realpath(PETREL_BUILD_DIR, NULL);
	bool same = built != NULL && strcmp(built, dir) == 0;

	free(built);
	return same;
}
#endif

/*
 * $PETREL_SHARE, else (a binary in its build tree only) the source tree,
 * else the install prefix's share dir, else PETREL_BIN_TO_SHARE relative to
 * the binary (a prefix moved elsewhere). An installed binary never looks
 * at the source tree: it may be gone or hold other versions' templates.
 * With nothing found the install path is returned, so the error names it.
 */
static const char *
default_share_dir(void)
{
	static char found[4096];
	const char *env = getenv("PETREL_SHARE");
	char exe[4096];
	const char *dir;

	if (env != NULL && env[0] != '\0')
		return env;
	dir = exe_dir(exe, sizeof(exe));
#ifdef PETREL_BUILD_DIR
	if (dir[0] != '\0' && is_build_tree_binary(dir))
		return PETREL_SOURCE_DIR;
#endif
	if (dir_has_templates(PETREL_INSTALL_SHARE_DIR))
		return PETREL_INSTALL_SHARE_DIR;
	if (dir[0] != '\0' &&
	    pt_snprintf_ok(found, sizeof(found), "%s/%s", dir,
	                   PETREL_BIN_TO_SHARE) &&
	    dir_has_templates(found))
		return found;
	return PETREL_INSTALL_SHARE_DIR;
}

/*
 * $PETREL_PLUGINS, else the plugins built beside a petrel run from its
 * build tree, else the installed plugins directory.
 */
static const char *
default_plugin_dir(void)
{
	const char *env = getenv("PETREL_PLUGINS");
	char exe[4096];
	const char *dir;

	if (env != NULL && env[0] != '\0')
		return env;
	dir = exe_dir(exe, sizeof(exe));
#ifdef PETREL_BUILD_DIR
	if (dir[0] != '\0' && is_build_tree_binary(dir))
		return PETREL_BUILD_PLUGIN_DIR;
#endif
	(void)dir;
	return PETREL_INSTALL_PLUGIN_DIR;
}

static const char *
default_data_dir(void)
{
	const char *env = getenv("PETREL_DATA");

	return env != NULL && env[0] != '\0' ? env : PETREL_DEFAULT_DATA_DIR;
}

/* Open the log the config asks for; stderr too when interactive. */
static void
open_log(struct web_app *app, bool to_stderr)
{
	struct config *cfg = web_app_config(app);
	struct perr err = {0};
	char path[4096];
	const char *file = NULL;

	if (cfg->logs.enable) {
		if (cfg->logs.path[0] != '\0')
			file = cfg->logs.path;
		else if (pt_snprintf_ok(path, sizeof(path), "%s/petrel.log",
		                        cfg->paths.logs_dir))
			file = path;
	}
	if (log_open(file, to_stderr, cfg->logs.syslog, cfg->logs.level,
	             &err) != 0) {
		log_warn("cannot open the log file %s; logging to stderr",
		         file);
		(void)log_open(NULL, true, cfg->logs.syslog, cfg->logs.level,
		               &err);
	}
	config_unref(&cfg);
}

static void
on_reload(void *ctx)
{
	struct web_app *app = ctx;
	struct arena *a = arena_create("reload", 4096, 0);
	struct perr err = {0};

	if (web_app_reload(app, a, &err) != 0)
		log_error("reload failed, keeping the running config: %s",
		          err.msg);
	else
		log_info("config, templates and catalogs reloaded");
	arena_destroy(&a);
}

/*
 * A SnappyMail data directory keeps the admin panel key in clear text:
 * hash it and remove the clear copies before anything serves requests.
 * If application.ini cannot be rewritten, mail still works; the panel
 * stays shut (a clear key never matches) and the log says why.
 */
static void
take_over(const char *data_dir, struct arena *a)
{
	struct admin_takeover_result tk;
	struct perr err = {0};

	if (admin_takeover(data_dir, a, &tk, &err) != 0) {
		log_warn("cannot take over SnappyMail's admin settings in %s: "
		         "%s; the admin panel stays shut until it can",
		         data_dir, err.msg);
		return;
	}
	if (tk.key_hashed)
		log_info("admin panel key from SnappyMail's application.ini "
		         "now stored as a hash; the clear copy was removed");
	else if (tk.old_key_removed)
		log_info("removed SnappyMail's clear [security] "
		         "admin_panel_key from application.ini");
	if (tk.key_legacy)
		log_info("admin panel key stored in the older PBKDF2 form: "
		         "it becomes an HMAC at the admin's next sign-in");
	if (tk.login_defaulted)
		log_info("admin login set to SnappyMail's default \"admin\"");
}

static int
cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"listen", required_argument, NULL, 'l'},
	        {"threads", required_argument, NULL, 't'},
	        {"data", required_argument, NULL, 'd'},
	        {"share", required_argument, NULL, 's'},
	        {"static-url", required_argument, NULL, 'u'},
	        {"events", required_argument, NULL, 'e'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct web_app_opts app_opts = {0};
	struct http_server_opts srv = {0};
	struct web_app *app = NULL;
	struct live_opts live_opts = {0};
	struct live_server *live = NULL;
	struct arena *a;
	struct perr err = {0};
	uint64_t threads = 4;
	int c, ret;

	app_opts.data_dir = default_data_dir();
	app_opts.share_dir = default_share_dir();
	app_opts.static_url = "/static";
	app_opts.plugin_dir = default_plugin_dir();
	while ((c = getopt_long(argc, argv, "l:t:d:s:u:e:h", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'l':
			srv.listen = optarg;
			break;
		case 't':
			if (!pt_parse_u64(strv_from_cstr(optarg), 256,
			                  &threads) ||
			    threads == 0) {
				fprintf(stderr,
				        "petrel: --threads wants 1-256\n");
				return 2;
			}
			break;
		case 'd':
			app_opts.data_dir = optarg;
			break;
		case 's':
			app_opts.share_dir = optarg;
			break;
		case 'u':
			app_opts.static_url = optarg;
			break;
		case 'e':
			live_opts.listen = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (srv.listen == NULL) {
		fprintf(stderr, "petrel: serve needs --listen\n");
		usage(stderr);
		return 2;
	}
	a = arena_create("startup", 16 * 1024, 0);
	take_over(app_opts.data_dir, a);
	if (web_app_create(&app_opts, &app, a, &err) != 0) {
		log_error("cannot start: %s", err.msg);
		arena_destroy(&a);
		return 1;
	}
	open_log(app, isatty(STDERR_FILENO) || getenv("PETREL_LOG_STDERR"));
	srv.threads = (int)threads;
	web_app_http_limits(app, &srv.limits);
	srv.on_reload = on_reload;
	srv.ctx = app;
	/*
	 * Live updates run in their own threads beside the FastCGI workers,
	 * so open browser streams never hold a worker.
	 */
	if (live_opts.listen != NULL) {
		sigset_t stop_signals, old_mask;
		struct config *cfg = config_current();

		/* The socket table is sized once, at start (no SIGHUP). */
		if (cfg != NULL)
			live_opts.max_clients = cfg->limits.live_max_clients;
		config_unref(&cfg);

		/*
		 * The live threads inherit this mask: SIGTERM, SIGINT and
		 * SIGHUP must reach http_serve's sigwait(), not them.
		 */
		sigemptyset(&stop_signals);
		sigaddset(&stop_signals, SIGTERM);
		sigaddset(&stop_signals, SIGINT);
		sigaddset(&stop_signals, SIGHUP);
		pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask);
		live = live_server_start(&live_opts, a, &err);
		pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
		if (live == NULL) {
			log_error("cannot start live updates on %s: %s",
			          live_opts.listen, err.msg);
			web_app_destroy(&app);
			config_swap(NULL);
			arena_destroy(&a);
			return 1;
		}
	}
	/* Held and scheduled sends: one worker per process (the store's
	 * lease keeps processes and nodes from sending a job twice). */
	if (web_outbox_start(a, &err) != 0)
		log_error("outbox worker not started (held and scheduled "
		          "sends wait): %s",
		          err.msg);
	if (web_snooze_start(app, a, &err) != 0)
		log_error("snoozed messages will not wake: %s", err.msg);
	log_info("petrel %s serving on %s with %d threads (data %s%s%s)",
	         PETREL_VERSION, srv.listen, srv.threads, app_opts.data_dir,
	         live != NULL ? ", events on " : "",
	         live != NULL ? live_opts.listen : "");
	ret = http_serve(&srv, web_dispatch, &err);
	if (ret != 0)
		log_error("serve: %s", err.msg);
	else
		log_info("petrel stopped");
	web_outbox_stop();
	live_server_stop(&live);
	web_snooze_stop(app);
	web_app_destroy(&app);
	config_swap(NULL);
	arena_destroy(&a);
	log_close();
	return ret == 0 ? 0 : 1;
}

static void
print_diag(void *ctx, enum config_diag_level level, const char *file,
           unsigned line, const char *msg)
{
	const char *what = level == CONFIG_DIAG_ERROR  ? "error"
	                   : level == CONFIG_DIAG_INFO ? "info"
	                                               : "warning";

	(void)ctx;
	if (line > 0)
		printf("%s:%u: %s: %s\n", file, line, what, msg);
	else
		printf("%s: %s: %s\n", file, what, msg);
}

static int
cmd_check_config(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"data", required_argument, NULL, 'd'},
	        {"strict", no_argument, NULL, 'S'},
	        {NULL, 0, NULL, 0},
	};
	const char *data = default_data_dir();
	unsigned flags = 0, errors;
	int c;

	while ((c = getopt_long(argc, argv, "d:S", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			data = optarg;
			break;
		case 'S':
			flags |= CONFIG_CHECK_STRICT;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	errors = config_check(data, flags, print_diag, NULL);
	if (errors > 0) {
		printf("%u error%s\n", errors, errors == 1 ? "" : "s");
		return 1;
	}
	printf("config ok\n");
	return 0;
}

/*
 * petrel admin credentials-deleted: the credentials file `admin init`
 * wrote is gone (checked here, as root can), so the dashboard's warning
 * ends. The server itself cannot look (see admin_cred_record_read).
 */
static int
cmd_credentials_deleted(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"data", required_argument, NULL, 'd'},
	        {NULL, 0, NULL, 0},
	};
	struct admin_cred_record rec;
	const char *data = default_data_dir();
	struct arena *a;
	struct perr err = {0};
	int c;

	while ((c = getopt_long(argc, argv, "d:", opts, NULL)) != -1) {
		if (c != 'd') {
			usage(stderr);
			return 2;
		}
		data = optarg;
	}
	a = arena_create("admin", 16 * 1024, 0);
	if (admin_credentials_deleted(data, a, &rec, &err) != 0) {
		fprintf(stderr, "petrel admin credentials-deleted: %s\n",
		        err.msg);
		arena_destroy(&a);
		return 1;
	}
	if (rec.found)
		printf("%s is gone; the admin panel no longer warns about "
		       "it.\n",
		       rec.path);
	else
		printf("No credentials file is recorded in %s; nothing to "
		       "do.\n",
		       data);
	arena_destroy(&a);
	return 0;
}

/*
 * petrel admin init: new admin name, password and key (hashes in
 * application.ini, plain text only in the root-only credentials file).
 * petrel admin passwd: a new password only. Both print where the file is
 * and never the key; passwd prints the new password.
 */
static int
cmd_admin(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"data", required_argument, NULL, 'd'},
	        {"credentials-file", required_argument, NULL, 'c'},
	        {NULL, 0, NULL, 0},
	};
	struct admin_init_result res;
	const char *data = default_data_dir(), *cred = NULL;
	struct arena *a;
	struct perr err = {0};
	bool init;
	int c, r;

	if (argc >= 2 && strcmp(argv[1], "credentials-deleted") == 0)
		return cmd_credentials_deleted(argc - 1, argv + 1);
	if (argc < 2 ||
	    (strcmp(argv[1], "init") != 0 && strcmp(argv[1], "passwd") != 0)) {
		usage(stderr);
		return 2;
	}
	init = strcmp(argv[1], "init") == 0;
	while ((c = getopt_long(argc - 1, argv + 1, "d:c:", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'd':
			data = optarg;
			break;
		case 'c':
			cred = optarg;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	umask(077);
	a = arena_create("admin", 16 * 1024, 0);
	r = init ? admin_init(data, cred, a, &res, &err)
	         : admin_passwd(data, cred, a, &res, &err);
	if (r != 0) {
		fprintf(stderr, "petrel admin %s: %s\n", argv[1], err.msg);
		arena_destroy(&a);
		return 1;
	}
	if (init) {
		printf("Admin credentials written to %s (mode 0600).\n"
		       "Open https://<your webmail>/?<Secret key> and sign in "
		       "with Username and Password from that file.\n"
		       "Verified: these credentials open the admin panel.\n"
		       "Delete the file once you have noted them, then run "
		       "`petrel admin credentials-deleted`\n"
		       "(or confirm it on the admin dashboard).\n",
		       res.credentials_file);
	} else {
		printf("New admin password for %s: %s\n", res.user,
		       res.password);
		if (res.credentials_file != NULL)
			printf("Updated %s.\n", res.credentials_file);
	}
	printf("Config: %s (reload a running petrel with SIGHUP).\n",
	       res.application_ini);
	arena_destroy(&a);
	return 0;
}

/*
 * petrel plugins: every plugin in the plugins directory or named in
 * [plugins] enabled_list, one line each with its state; exit 1 when an
 * enabled plugin is refused (what the admin's Plugins page shows).
 */
static int
cmd_plugins(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"data", required_argument, NULL, 'd'},
	        {NULL, 0, NULL, 0},
	};
	struct plugin_load_args args = {0};
	struct plugin_set *set = NULL;
	struct config *cfg = NULL;
	const char *data = default_data_dir();
	struct arena *a;
	struct perr err = {0};
	size_t i;
	int c, ret = 0;

	while ((c = getopt_long(argc, argv, "d:", opts, NULL)) != -1) {
		if (c != 'd') {
			usage(stderr);
			return 2;
		}
		data = optarg;
	}
	/* The loader's own log lines would repeat what is printed here. */
	(void)log_open(NULL, true, false, LOG_LVL_ERROR, &err);
	a = arena_create("plugins", 16 * 1024, 0);
	if (config_load(data, print_diag, NULL, &cfg, a, &err) != 0) {
		fprintf(stderr, "petrel plugins: %s\n", err.msg);
		arena_destroy(&a);
		return 1;
	}
	args.dir = default_plugin_dir();
	args.configs_dir = cfg->paths.configs_dir;
	args.enable = cfg->plugins.enable;
	args.enabled_list = cfg->plugins.enabled_list;
	if (plugin_set_load(&args, &set, a, &err) != 0) {
		fprintf(stderr, "petrel plugins: %s\n", err.msg);
		config_unref(&cfg);
		arena_destroy(&a);
		return 1;
	}
	printf("plugins directory: %s ([plugins] enable = %s)\n", args.dir,
	       args.enable ? "On" : "Off");
	for (i = 0; i < plugin_set_count(set); i++) {
		struct plugin_info in;

		plugin_set_info(set, i, &in);
		printf("%-32s %-8s", in.name,
		       in.version != NULL ? in.version : "-");
		if (in.version != NULL)
			printf(" ABI %u.%u", in.abi_major, in.abi_minor);
		printf(" %s", in.active    ? "active"
		              : in.enabled ? "refused"
		                           : "disabled");
		if (in.error != NULL)
			printf(": %s", in.error);
		putchar('\n');
		if (in.enabled && !in.active)
			ret = 1;
	}
	plugin_set_free(&set);
	config_unref(&cfg);
	arena_destroy(&a);
	return ret;
}

/* petrel doctor: the mail checks (src/doctor), exit 1 on a problem. */
static int
cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"data", required_argument, NULL, 'd'},
	        {"domain", required_argument, NULL, 'D'},
	        {"json", no_argument, NULL, 'j'},
	        {NULL, 0, NULL, 0},
	};
	const char *data = default_data_dir(), *domain = NULL;
	struct perr err = {0};
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "d:D:j", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			data = optarg;
			break;
		case 'D':
			domain = optarg;
			break;
		case 'j':
			json = true;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	(void)log_open(NULL, true, false, LOG_LVL_ERROR, &err);
	return doctor_cli(data, domain, json, stdout);
}

static int
cmd_cgi(void)
{
	struct web_app_opts app_opts = {0};
	struct web_app *app = NULL;
	struct http_limits limits;
	struct arena *a = arena_create("startup", 16 * 1024, 0);
	struct perr err = {0};
	int ret;

	app_opts.data_dir = default_data_dir();
	app_opts.share_dir = default_share_dir();
	app_opts.static_url = "/static";
	app_opts.plugin_dir = default_plugin_dir();
	(void)log_open(NULL, true, false, LOG_LVL_WARN, &err);
	if (web_app_create(&app_opts, &app, a, &err) != 0) {
		log_error("cannot start: %s", err.msg);
		fputs("Status: 500 Internal Server Error\r\n"
		      "Content-Type: text/plain\r\n\r\n"
		      "Petrel is not configured correctly; see the server "
		      "log.\n",
		      stdout);
		arena_destroy(&a);
		return 1;
	}
	web_app_http_limits(app, &limits);
	ret = http_serve_cgi(&limits, web_dispatch, app, &err);
	web_app_destroy(&app);
	config_swap(NULL);
	arena_destroy(&a);
	return ret == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct perr err = {0};

	(void)log_open(NULL, true, false, LOG_LVL_INFO, &err);
	if (argc < 2) {
		if (getenv("GATEWAY_INTERFACE") != NULL && http_is_cgi())
			return cmd_cgi();
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "serve") == 0)
		return cmd_serve(argc - 1, argv + 1);
	if (strcmp(argv[1], "check-config") == 0)
		return cmd_check_config(argc - 1, argv + 1);
	if (strcmp(argv[1], "admin") == 0)
		return cmd_admin(argc - 1, argv + 1);
	if (strcmp(argv[1], "plugins") == 0)
		return cmd_plugins(argc - 1, argv + 1);
	if (strcmp(argv[1], "doctor") == 0)
		return cmd_doctor(argc - 1, argv + 1);
	if (strcmp(argv[1], "version") == 0 ||
	    strcmp(argv[1], "--version") == 0) {
		printf("petrel %s\n", PETREL_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "petrel: unknown command %s\n", argv[1]);
	usage(stderr);
	return 2;
}

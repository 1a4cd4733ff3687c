/*
 * change-password: a "Password" section in the user's settings (current,
 * new, repeat) and the drivers that change the password where it lives:
 *
 * - hestia: Hestia's /reset/mail/ endpoint (driver_hestia.c);
 * - passwd_file: a Dovecot passwd-file (driver_passwd_file.c).
 *
 * The option names of the hestia driver and of the length and strength
 * rules are SnappyMail's, so a Hestia server's existing
 * configs/plugin-change-password.json works unchanged. The first enabled
 * driver whose allowed_emails matches the user is used. After a change
 * the session's sealed copy of the password is replaced, so the user
 * stays signed in.
 */
#include <fnmatch.h>
#include <string.h>

#include "change_password.h"

static const char *const schemes[] = {"SHA512-CRYPT", "SHA256-CRYPT",
                                      "BLF-CRYPT", NULL};
static const char *const user_forms[] = {"%u", "%n", NULL};

static const struct petrel_option options[] = {
        {.name = "pass_min_length",
         .type = PETREL_OPTION_INT,
         .label = "Minimum length",
         .default_value = "10",
         .min = 1,
         .max = CP_PASSWORD_MAX},
        {.name = "pass_min_strength",
         .type = PETREL_OPTION_INT,
         .label = "Minimum strength (0-100)",
         .help = "An estimate of how hard the password is to guess; 60 "
                 "needs about 48 bits.",
         .default_value = "60",
         .min = 0,
         .max = 100},
        {.name = "driver_hestia_enabled",
         .type = PETREL_OPTION_BOOL,
         .label = "Hestia: enabled",
         .default_value = "false"},
        {.name = "driver_hestia_allowed_emails",
         .type = PETREL_OPTION_STRING,
         .label = "Hestia: for addresses",
         .help = "Space-separated patterns such as *@example.com; * is "
                 "everyone.",
         .default_value = "*"},
        {.name = "hestia_host",
         .type = PETREL_OPTION_STRING,
         .label = "Hestia: panel host",
         .default_value = "localhost",
         .max = 253},
        {.name = "hestia_port",
         .type = PETREL_OPTION_INT,
         .label = "Hestia: panel port (BACKEND_PORT)",
         .default_value = "8083",
         .min = 1,
         .max = 65535},
        {.name = "hestia_verify_tls",
         .type = PETREL_OPTION_BOOL,
         .label = "Hestia: verify the panel's certificate",
         .help = "Off by default: Hestia's panel often has a self-signed "
                 "certificate. Turn on when it has a real one.",
         .default_value = "false"},
        {.name = "driver_passwd_file_enabled",
         .type = PETREL_OPTION_BOOL,
         .label = "Dovecot passwd-file: enabled",
         .default_value = "false"},
        {.name = "driver_passwd_file_allowed_emails",
         .type = PETREL_OPTION_STRING,
         .label = "Dovecot passwd-file: for addresses",
         .default_value = "*"},
        {.name = "passwd_file",
         .type = PETREL_OPTION_STRING,
         .label = "Dovecot passwd-file: path",
         .help = "%u is the address, %n its local part, %d its domain.",
         .default_value = "/etc/dovecot/users",
         .max = 4000},
        {.name = "passwd_file_user",
         .type = PETREL_OPTION_CHOICE,
         .label = "Dovecot passwd-file: user field",
         .help = "%u: the whole address; %n: the local part.",
         .default_value = "%u",
         .choices = user_forms},
        {.name = "passwd_file_scheme",
         .type = PETREL_OPTION_CHOICE,
         .label = "Dovecot passwd-file: new hash scheme",
         .default_value = "SHA512-CRYPT",
         .choices = schemes},
};

/* True when one of the space-separated patterns matches user. */
static bool
allowed(const struct petrel_host *host, struct petrel_call *call,
        const char *option, const char *user)
{
	const char *list = host->option(call, option);
	char pattern[256];

	while (list != NULL && *list != '\0') {
		size_t n = strcspn(list, " ,\t");

		if (n > 0 && n < sizeof(pattern)) {
			memcpy(pattern, list, n);
			pattern[n] = '\0';
			if (fnmatch(pattern, user, FNM_CASEFOLD) == 0)
				return true;
		}
		list += n;
		list += strspn(list, " ,\t");
	}
	return false;
}

static bool
text_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > CP_PASSWORD_MAX)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static int
change(const struct petrel_host *host, struct petrel_call *call)
{
	const char *user = host->user(call);
	const char *current = host->arg(call, "current");
	const char *next = host->arg(call, "new");
	const char *repeat = host->arg(call, "repeat");
	int rc;

	if (user == NULL)
		return host->refuse(call, host->translate(call, "L_SIGN_IN"));
	if (current == NULL || next == NULL || repeat == NULL ||
	    !text_ok(current) || !text_ok(next))
		return host->refuse(call,
		                    host->translate(call, "L_PASSWORD_FIELDS"));
	if (strcmp(next, repeat) != 0)
		return host->refuse(
		        call, host->translate(call, "L_PASSWORD_MISMATCH"));
	if (strcmp(next, current) == 0)
		return host->refuse(
		        call, host->translate(call, "L_PASSWORD_UNCHANGED"));
	if ((int64_t)strlen(next) < host->option_int(call, "pass_min_length"))
		return host->refuse(
		        call, host->translate(call, "L_PASSWORD_TOO_SHORT"));
	if (cp_strength(next) < host->option_int(call, "pass_min_strength"))
		return host->refuse(
		        call, host->translate(call, "L_PASSWORD_TOO_WEAK"));

	if (host->option_bool(call, "driver_hestia_enabled") &&
	    allowed(host, call, "driver_hestia_allowed_emails", user))
		rc = cp_hestia_change(host, call, user, current, next);
	else if (host->option_bool(call, "driver_passwd_file_enabled") &&
	         allowed(host, call, "driver_passwd_file_allowed_emails", user))
		rc = cp_passwd_file_change(host, call, user, current, next);
	else
		return host->refuse(
		        call, host->translate(call, "L_PASSWORD_NOT_SET_UP"));
	if (rc != 0)
		return rc;
	host->log(call, PETREL_LOG_INFO, "password changed for %s", user);
	/* Changed at the server: a failure here only costs a new sign-in. */
	(void)host->result_bool(call, "changed", true);
	(void)host->result_bool(call, "signedIn",
	                        host->password_changed(call, next) == 0);
	return 0;
}

static const struct petrel_action actions[] = {
        {.name = "ChangePassword", .run = change},
};

static const struct petrel_field fields[] = {
        {.name = "current",
         .label = "L_PASSWORD_CURRENT",
         .type = "password",
         .required = true},
        {.name = "new",
         .label = "L_PASSWORD_NEW",
         .type = "password",
         .required = true},
        {.name = "repeat",
         .label = "L_PASSWORD_REPEAT",
         .type = "password",
         .required = true},
};

static const struct petrel_settings_section settings = {
        .size = sizeof(struct petrel_settings_section),
        .title = "L_PASSWORD_TITLE",
        .fields = fields,
        .n_fields = sizeof(fields) / sizeof(fields[0]),
        .save_action = "ChangePassword",
};

static const struct petrel_hooks hooks = {
        .size = sizeof(struct petrel_hooks),
        .actions = actions,
        .n_actions = sizeof(actions) / sizeof(actions[0]),
        .settings = &settings,
};

PETREL_PLUGIN_EXPORT const struct petrel_plugin petrel_plugin_v1 = {
        .abi_major = PETREL_PLUGIN_ABI_MAJOR,
        .abi_minor = PETREL_PLUGIN_ABI_MINOR,
        .size = sizeof(struct petrel_plugin),
        .name = "change-password",
        .version = "1.0",
        .description = "Lets users change their mail password (Hestia "
                       "panel or Dovecot passwd-file).",
        .options = options,
        .n_options = sizeof(options) / sizeof(options[0]),
        .option_size = sizeof(struct petrel_option),
        .hooks = &hooks,
};

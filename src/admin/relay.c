/*
 * The server-wide default SMTP relay ([relay] in application.ini) as a
 * form: the hosting FAQ's answer to a blocked outgoing port 25, and what
 * the doctor's port-25 check links to. A domain with its own relay
 * account keeps it (config_domains_load applies this one only to the
 * others). The password is write-only: never shown back, an empty field
 * keeps the stored one, and clearing the user clears it too.
 */
#include <string.h>

#include "admin.h"
#include "config/config.h"
#include "net/net.h"
#include "core/banned.h"

#define RELAY_TEXT_MAX 255

static const char *const relay_keys[ADMIN_RELAY_NFIELDS] = {
        "host", "port", "secure", "user", "password"};

const char *
admin_relay_key(enum admin_relay_field f)
{
	return relay_keys[f];
}

void
admin_relay_form_current(const struct config *cfg, struct arena *a,
                         struct admin_relay_form *f)
{
	memset(f, 0, sizeof(*f));
	f->values[ADMIN_RELAY_HOST] = cfg->relay.host;
	f->values[ADMIN_RELAY_PORT] = arena_printf(a, "%u", cfg->relay.port);
	f->values[ADMIN_RELAY_SECURE] = config_secure_name(cfg->relay.secure);
	f->values[ADMIN_RELAY_USER] = cfg->relay.user;
	f->values[ADMIN_RELAY_PASSWORD] = "";
	f->has_password = cfg->relay.password[0] != '\0';
}

static bool
text_ok(const char *s)
{
	struct strv v = strv_from_cstr(s);

	return v.len <= RELAY_TEXT_MAX && !strv_has_ctl(v, false) &&
	       codec_utf8_valid(v);
}

bool
admin_relay_form_validate(struct admin_relay_form *f)
{
	const char **v = f->values, **e = f->errors;
	const char *canon = NULL;
	struct net_target t;
	unsigned port = 0;
	bool off = v[ADMIN_RELAY_HOST][0] == '\0';

	memset(f->errors, 0, sizeof(f->errors));
	if (!off && !admin_valid_host(strv_from_cstr(v[ADMIN_RELAY_HOST])))
		e[ADMIN_RELAY_HOST] = "L_ADMIN_ERR_HOST";
	if (!admin_valid_port(strv_from_cstr(v[ADMIN_RELAY_PORT]), &port))
		e[ADMIN_RELAY_PORT] = "L_ADMIN_ERR_PORT";
	if (!admin_valid_secure(strv_from_cstr(v[ADMIN_RELAY_SECURE]), &canon))
		e[ADMIN_RELAY_SECURE] = "L_ADMIN_ERR_SECURE";
	else
		v[ADMIN_RELAY_SECURE] = canon;
	if (!text_ok(v[ADMIN_RELAY_USER]))
		e[ADMIN_RELAY_USER] = "L_ADMIN_ERR_TEXT";
	if (!text_ok(v[ADMIN_RELAY_PASSWORD]))
		e[ADMIN_RELAY_PASSWORD] = "L_ADMIN_ERR_TEXT";
	if (v[ADMIN_RELAY_USER][0] != '\0' &&
	    v[ADMIN_RELAY_PASSWORD][0] == '\0' && !f->has_password &&
	    e[ADMIN_RELAY_PASSWORD] == NULL)
		e[ADMIN_RELAY_PASSWORD] = "L_ADMIN_ERR_RELAY_PASSWORD";
	/*
	 * The SMTP client refuses to send a password in clear to anything
	 * but loopback (net_may_send_password); a form that would make
	 * every message fail is refused here, where the admin can fix it.
	 */
	if (!off && e[ADMIN_RELAY_HOST] == NULL &&
	    e[ADMIN_RELAY_SECURE] == NULL && v[ADMIN_RELAY_USER][0] != '\0') {
		net_target_init(&t, v[ADMIN_RELAY_HOST], (uint16_t)port,
		                strcmp(canon, "None") == 0 ? NET_PLAIN
		                                           : NET_STARTTLS);
		if (!net_may_send_password(&t))
			e[ADMIN_RELAY_SECURE] = "L_ADMIN_ERR_RELAY_CLEAR";
	}
	for (size_t i = 0; i < ADMIN_RELAY_NFIELDS; i++)
		if (e[i] != NULL)
			return false;
	return true;
}

int
admin_relay_save(const struct config_paths *paths,
                 const struct admin_relay_form *f, struct arena *a,
                 struct perr *err)
{
	struct admin_setting set[ADMIN_RELAY_NFIELDS];
	const char *user = f->values[ADMIN_RELAY_USER];
	const char *pw = f->values[ADMIN_RELAY_PASSWORD];
	size_t n = 0;

	set[n++] = (struct admin_setting){"relay", "host",
	                                  f->values[ADMIN_RELAY_HOST], false};
	set[n++] = (struct admin_setting){"relay", "port",
	                                  f->values[ADMIN_RELAY_PORT], true};
	set[n++] = (struct admin_setting){"relay", "secure",
	                                  f->values[ADMIN_RELAY_SECURE], false};
	set[n++] = (struct admin_setting){"relay", "user", user, false};
	if (user[0] == '\0')
		set[n++] = (struct admin_setting){"relay", "password", NULL,
		                                  false};
	else if (pw[0] != '\0')
		set[n++] =
		        (struct admin_setting){"relay", "password", pw, false};
	return admin_app_settings_write(paths, set, n, a, err);
}

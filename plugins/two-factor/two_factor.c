/*
 * two-factor: a second sign-in step with a TOTP authenticator app.
 *
 * The user turns it on in their settings: Begin makes a secret and shows
 * it as a QR code (host->qr_svg), Confirm turns it on once one code from
 * the app is right and answers with ten recovery codes, shown this once
 * and stored only hashed. From then on login_check asks for a code after
 * the password was right (host->challenge); a recovery code works instead,
 * once. A TOTP step that opened a session (or turned the factor on) never
 * opens another: the newest accepted step is stored. Disable takes a
 * current code. The admin resets a user by naming the address in the
 * reset_users option (applied once when saved; see docs/PLUGINS.md).
 *
 * Data: storage/plugins/two-factor/<sha256(address)>.json (store.c).
 * Nothing secret is ever logged.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "petrel/plugin.h"
#include "store.h"
#include "totp.h"

static const struct petrel_option options[] = {
        {.name = "issuer",
         .type = PETREL_OPTION_STRING,
         .label = "Name shown in the authenticator app",
         .help = "The account appears in the app as this name and the "
                 "user's address.",
         .default_value = "Petrel",
         .max = 64},
        {.name = "reset_users",
         .type = PETREL_OPTION_STRING,
         .label = "Reset the second factor of",
         .help = "Comma-separated addresses. When you save, each one "
                 "listed loses two-step verification once and signs in "
                 "with the password alone until they set it up again. "
                 "Remove an address before listing it again.",
         .default_value = "",
         .max = 4096},
};

/* ---- helpers ------------------------------------------------------------ */

static const char *
T(const struct petrel_host *host, struct petrel_call *call, const char *key)
{
	return host->translate(call, key);
}

static bool
host_ok(const struct petrel_host *host)
{
	return PETREL_HOST_HAS(host, challenge) &&
	       PETREL_HOST_HAS(host, data_dir) && PETREL_HOST_HAS(host, qr_svg);
}

/* Lock the signed-in user's (or email's) record. */
static int
lock_user(const struct petrel_host *host, struct petrel_call *call,
          const char *email, struct tf_lock *lk)
{
	const char *dir = host->data_dir(call);

	if (dir == NULL || email == NULL)
		return -1;
	if (tf_store_lock(dir, email, lk) != 0) {
		host->log(call, PETREL_LOG_ERROR, "cannot lock a record: %s",
		          strerror(errno));
		return -1;
	}
	return 0;
}

static int
store_error(const struct petrel_host *host, struct petrel_call *call,
            struct tf_lock *lk, struct tf_user *u)
{
	host->log(call, PETREL_LOG_ERROR, "cannot read or write %s", lk->path);
	tf_user_clear(u);
	tf_store_unlock(lk);
	return host->refuse(call, T(host, call, "L_TWOFACTOR_STORE_ERROR"));
}

/*
 * A TOTP code (newer than the last step used) or an unused recovery code;
 * the record is updated (step stored, recovery code spent) but not
 * written. *recovery_r tells which it was.
 */
static bool
second_factor_ok(struct tf_user *u, const char *answer, bool *recovery_r)
{
	char norm[RECOVERY_CHARS + 1], hash[RECOVERY_HASH_HEX + 1];
	int64_t step;
	size_t i, hit = TF_CODES;

	*recovery_r = false;
	if (tf_totp_check(u->secret, answer, (int64_t)time(NULL), u->last_step,
	                  &step)) {
		u->last_step = step;
		return true;
	}
	if (!tf_recovery_normalize(answer, norm) ||
	    !tf_recovery_hash(norm, u->salt, hash))
		return false;
	for (i = 0; i < u->n_codes; i++)
		if (tf_equal(hash, u->codes[i]) && hit == TF_CODES)
			hit = i;
	if (hit == TF_CODES)
		return false;
	/* Spent: it leaves the list. */
	memmove(u->codes[hit], u->codes[hit + 1],
	        (u->n_codes - hit - 1) * sizeof(u->codes[0]));
	u->n_codes--;
	*recovery_r = true;
	return true;
}

/* s percent-encoded for a URI (RFC 3986 unreserved and '@' kept). */
static bool
uri_encode(const char *s, char *out, size_t outsz)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~@", c) != NULL) {
			if (o + 1 >= outsz)
				return false;
			out[o++] = (char)c;
			continue;
		}
		if (o + 3 >= outsz)
			return false;
		out[o++] = '%';
		out[o++] = hexd[c >> 4];
		out[o++] = hexd[c & 15];
	}
	out[o] = '\0';
	return true;
}

/* The section in its "off" state: an intro and a Set up button. */
static void
answer_off(const struct petrel_host *host, struct petrel_call *call)
{
	host->result_bool(call, "enabled", false);
	host->result_string(call, "status",
	                    T(host, call, "L_TWOFACTOR_STATUS_OFF"));
	host->result_string(call, "intro", T(host, call, "L_TWOFACTOR_INTRO"));
	host->result_string(call, "fields", "");
	host->result_string(call, "action", "Begin");
	host->result_string(call, "button", T(host, call, "L_TWOFACTOR_SETUP"));
}

static void
answer_on(const struct petrel_host *host, struct petrel_call *call,
          const struct tf_user *u)
{
	char left[256];

	(void)snprintf(left, sizeof(left), "%s %zu",
	               T(host, call, "L_TWOFACTOR_ON"), u->n_codes);
	host->result_bool(call, "enabled", true);
	host->result_string(call, "status",
	                    T(host, call, "L_TWOFACTOR_STATUS_ON"));
	host->result_string(call, "intro", left);
	host->result_string(call, "fields", "code");
	host->result_string(call, "action", "Disable");
	host->result_string(call, "button",
	                    T(host, call, "L_TWOFACTOR_DISABLE"));
	host->result_bool(call, "danger", true);
}

/* ---- actions ------------------------------------------------------------ */

static int
act_status(const struct petrel_host *host, struct petrel_call *call)
{
	struct tf_lock lk;
	struct tf_user u;
	int rc;

	if (!host_ok(host) || lock_user(host, call, host->user(call), &lk) != 0)
		return host->refuse(call,
		                    T(host, call, "L_TWOFACTOR_STORE_ERROR"));
	rc = tf_store_read(&lk, &u);
	if (rc < 0)
		return store_error(host, call, &lk, &u);
	if (rc == 0 && u.enabled)
		answer_on(host, call, &u);
	else
		answer_off(host, call);
	tf_user_clear(&u);
	tf_store_unlock(&lk);
	return 0;
}

static int
act_begin(const struct petrel_host *host, struct petrel_call *call)
{
	const char *user = host->user(call), *issuer, *svg;
	char uri[2048], shown[TOTP_SECRET_B32 + TOTP_SECRET_B32 / 4 + 1];
	char enc_issuer[256], enc_user[1024];
	struct tf_lock lk;
	struct tf_user u;
	size_t i, o = 0;
	int rc;

	if (!host_ok(host) || lock_user(host, call, user, &lk) != 0)
		return host->refuse(call,
		                    T(host, call, "L_TWOFACTOR_STORE_ERROR"));
	rc = tf_store_read(&lk, &u);
	if (rc < 0)
		return store_error(host, call, &lk, &u);
	if (u.enabled) {
		tf_user_clear(&u);
		tf_store_unlock(&lk);
		return host->refuse(call,
		                    T(host, call, "L_TWOFACTOR_ALREADY_ON"));
	}
	if (!tf_secret_new(u.pending) || tf_store_write(&lk, &u) != 0)
		return store_error(host, call, &lk, &u);
	issuer = host->option(call, "issuer");
	if (issuer == NULL || issuer[0] == '\0')
		issuer = "Petrel";
	/*
	 * otpauth://totp/Issuer:account?... (Google's key URI format), both
	 * percent-encoded. Too long to encode: the app shows no names, the
	 * key still works.
	 */
	if (!uri_encode(issuer, enc_issuer, sizeof(enc_issuer)) ||
	    !uri_encode(user, enc_user, sizeof(enc_user)))
		enc_user[0] = enc_issuer[0] = '\0';
	(void)snprintf(uri, sizeof(uri),
	               "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1"
	               "&digits=6&period=30",
	               enc_issuer, enc_user, u.pending, enc_issuer);
	svg = host->qr_svg(call, uri);
	/* Grouped by four for typing it in by hand. */
	for (i = 0; u.pending[i] != '\0'; i++) {
		if (i > 0 && i % 4 == 0)
			shown[o++] = ' ';
		shown[o++] = u.pending[i];
	}
	shown[o] = '\0';
	if (svg != NULL)
		host->result_string(call, "qr_svg", svg);
	host->result_string(call, "secret", shown);
	host->result_string(call, "intro", T(host, call, "L_TWOFACTOR_SCAN"));
	host->result_string(call, "fields", "code");
	host->result_string(call, "action", "Confirm");
	host->result_string(call, "button",
	                    T(host, call, "L_TWOFACTOR_CONFIRM"));
	memset(shown, 0, sizeof(shown));
	memset(uri, 0, sizeof(uri));
	tf_user_clear(&u);
	tf_store_unlock(&lk);
	return 0;
}

static int
act_confirm(const struct petrel_host *host, struct petrel_call *call)
{
	const char *code = host->arg(call, "code");
	char plain[TF_CODES][RECOVERY_TEXT], norm[RECOVERY_CHARS + 1];
	char list[TF_CODES * RECOVERY_TEXT + 1];
	struct tf_lock lk;
	struct tf_user u;
	int64_t step;
	size_t i;
	int rc;

	if (!host_ok(host) || lock_user(host, call, host->user(call), &lk) != 0)
		return host->refuse(call,
		                    T(host, call, "L_TWOFACTOR_STORE_ERROR"));
	rc = tf_store_read(&lk, &u);
	if (rc < 0)
		return store_error(host, call, &lk, &u);
	if (u.enabled || u.pending[0] == '\0') {
		tf_user_clear(&u);
		tf_store_unlock(&lk);
		return host->refuse(call,
		                    T(host, call, "L_TWOFACTOR_NOT_STARTED"));
	}
	if (code == NULL ||
	    !tf_totp_check(u.pending, code, (int64_t)time(NULL), 0, &step)) {
		tf_user_clear(&u);
		tf_store_unlock(&lk);
		return host->refuse(call, T(host, call, "L_TWOFACTOR_WRONG"));
	}
	memcpy(u.secret, u.pending, sizeof(u.secret));
	memset(u.pending, 0, sizeof(u.pending));
	u.enabled = true;
	u.last_step = step; /* this code cannot also sign in */
	memset(list, 0, sizeof(list));
	if (!tf_salt_new(u.salt))
		return store_error(host, call, &lk, &u);
	for (i = 0; i < TF_CODES; i++) {
		if (!tf_recovery_new(plain[i]) ||
		    !tf_recovery_normalize(plain[i], norm) ||
		    !tf_recovery_hash(norm, u.salt, u.codes[i]))
			return store_error(host, call, &lk, &u);
		/* 10 codes of 11 characters and a newline always fit. */
		memcpy(list + i * RECOVERY_TEXT, plain[i], RECOVERY_TEXT - 1);
		list[i * RECOVERY_TEXT + RECOVERY_TEXT - 1] =
		        i + 1 < TF_CODES ? '\n' : '\0';
	}
	u.n_codes = TF_CODES;
	if (tf_store_write(&lk, &u) != 0)
		return store_error(host, call, &lk, &u);
	host->log(call, PETREL_LOG_INFO, "turned on for %s", host->user(call));
	host->result_bool(call, "enabled", true);
	host->result_string(call, "codes", list);
	host->result_string(call, "intro", T(host, call, "L_TWOFACTOR_CODES"));
	host->result_string(call, "message",
	                    T(host, call, "L_TWOFACTOR_TURNED_ON"));
	host->result_string(call, "fields", "");
	host->result_string(call, "action", "Status");
	host->result_string(call, "button", T(host, call, "L_TWOFACTOR_DONE"));
	memset(plain, 0, sizeof(plain));
	memset(list, 0, sizeof(list));
	tf_user_clear(&u);
	tf_store_unlock(&lk);
	return 0;
}

static int
act_disable(const struct petrel_host *host, struct petrel_call *call)
{
	const char *code = host->arg(call, "code");
	struct tf_lock lk;
	struct tf_user u;
	bool recovery;
	int rc;

	if (!host_ok(host) || lock_user(host, call, host->user(call), &lk) != 0)
		return host->refuse(call,
		                    T(host, call, "L_TWOFACTOR_STORE_ERROR"));
	rc = tf_store_read(&lk, &u);
	if (rc < 0)
		return store_error(host, call, &lk, &u);
	if (!u.enabled) {
		tf_user_clear(&u);
		tf_store_unlock(&lk);
		answer_off(host, call);
		return 0;
	}
	if (code == NULL || !second_factor_ok(&u, code, &recovery)) {
		tf_user_clear(&u);
		tf_store_unlock(&lk);
		return host->refuse(call, T(host, call, "L_TWOFACTOR_WRONG"));
	}
	if (tf_store_delete(&lk) != 0)
		return store_error(host, call, &lk, &u);
	host->log(call, PETREL_LOG_INFO, "turned off for %s", host->user(call));
	answer_off(host, call);
	host->result_string(call, "message",
	                    T(host, call, "L_TWOFACTOR_TURNED_OFF"));
	tf_user_clear(&u);
	tf_store_unlock(&lk);
	return 0;
}

/* ---- hooks -------------------------------------------------------------- */

static int
login_check(const struct petrel_host *host, struct petrel_call *call,
            const struct petrel_login *login)
{
	const char *answer =
	        login->size >= offsetof(struct petrel_login, second_factor) +
	                                sizeof(login->second_factor)
	                ? login->second_factor
	                : NULL;
	struct tf_lock lk;
	struct tf_user u;
	bool recovery;
	int rc;

	if (!host_ok(host))
		return 0;
	if (lock_user(host, call, login->email, &lk) != 0)
		return host->refuse(call,
		                    T(host, call, "L_TWOFACTOR_STORE_ERROR"));
	rc = tf_store_read(&lk, &u);
	if (rc < 0)
		return store_error(host, call, &lk, &u);
	if (rc == 1 || !u.enabled) {
		tf_user_clear(&u);
		tf_store_unlock(&lk);
		return 0;
	}
	if (answer == NULL || answer[0] == '\0') {
		tf_user_clear(&u);
		tf_store_unlock(&lk);
		return host->challenge(call,
		                       T(host, call, "L_TWOFACTOR_PROMPT"));
	}
	if (!second_factor_ok(&u, answer, &recovery)) {
		tf_user_clear(&u);
		tf_store_unlock(&lk);
		return host->refuse(call, T(host, call, "L_TWOFACTOR_WRONG"));
	}
	/* The step or the recovery code is spent before the session opens. */
	if (tf_store_write(&lk, &u) != 0)
		return store_error(host, call, &lk, &u);
	if (recovery)
		host->log(call, PETREL_LOG_INFO,
		          "recovery code used by %s, %zu left", login->email,
		          u.n_codes);
	tf_user_clear(&u);
	tf_store_unlock(&lk);
	return 0;
}

/* Does the comma-separated list name addr (ASCII case-insensitive)? */
static bool
list_has(const char *list, const char *addr, size_t len)
{
	const char *p = list;

	while (*p != '\0') {
		const char *end = strchr(p, ',');
		size_t n;

		if (end == NULL)
			end = p + strlen(p);
		while (p < end && *p == ' ')
			p++;
		n = (size_t)(end - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n == len && strncasecmp(p, addr, len) == 0)
			return true;
		p = *end == ',' ? end + 1 : end;
	}
	return false;
}

/*
 * The admin's resets: each address in reset_users loses its record once.
 * resets-applied remembers which listed addresses were done, so a reload
 * does not reset someone who has enrolled again since; an address taken
 * off the list is forgotten there, so listing it later resets it again.
 */
static int
init(const struct petrel_host *host, struct petrel_call *call)
{
	const char *want = host->option(call, "reset_users"), *dir, *p;
	char path[4096], tmp[4112], done[8192] = "", next[8192] = "";
	FILE *f;
	size_t n, used = 0;

	if (!host_ok(host))
		return host->refuse(call, "this Petrel lacks plugin ABI 1.1");
	if (want == NULL)
		return 0;
	/*
	 * No data directory (`petrel plugins`, which runs as whoever calls
	 * it, gets none on purpose): nothing to reset here; the server's own
	 * load applies the list.
	 */
	dir = host->data_dir(call);
	if (dir == NULL)
		return 0;
	(void)snprintf(path, sizeof(path), "%s/resets-applied", dir);
	(void)snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(path, "r");
	if (f != NULL) {
		n = fread(done, 1, sizeof(done) - 1, f);
		done[n] = '\0';
		fclose(f);
	}
	for (p = want; *p != '\0';) {
		const char *end = strchr(p, ',');
		char addr[512];
		size_t len;

		if (end == NULL)
			end = p + strlen(p);
		while (p < end && *p == ' ')
			p++;
		len = (size_t)(end - p);
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len > 0 && len < sizeof(addr) &&
		    used + len + 2 < sizeof(next)) {
			struct tf_lock lk;

			memcpy(addr, p, len);
			addr[len] = '\0';
			if (!list_has(done, addr, len)) {
				if (tf_store_lock(dir, addr, &lk) == 0) {
					if (tf_store_delete(&lk) == 0)
						host->log(call, PETREL_LOG_INFO,
						          "reset by the admin "
						          "for %s",
						          addr);
					tf_store_unlock(&lk);
				}
			}
			if (used > 0)
				next[used++] = ',';
			memcpy(next + used, addr, len + 1);
			used += len;
		}
		p = *end == ',' ? end + 1 : end;
	}
	f = fopen(tmp, "w");
	if (f == NULL)
		return 0;
	n = strlen(next);
	if (fwrite(next, 1, n, f) != n || fflush(f) != 0 ||
	    fsync(fileno(f)) != 0) {
		fclose(f);
		(void)unlink(tmp);
		return 0;
	}
	fclose(f);
	if (rename(tmp, path) != 0)
		(void)unlink(tmp);
	return 0;
}

static const struct petrel_action actions[] = {
        {.name = "Status", .run = act_status},
        {.name = "Begin", .run = act_begin},
        {.name = "Confirm", .run = act_confirm},
        {.name = "Disable", .run = act_disable},
};

static const struct petrel_field fields[] = {
        {.name = "code",
         .label = "L_TWOFACTOR_CODE",
         .type = "text",
         .required = true},
};

static const struct petrel_settings_section settings = {
        .size = sizeof(struct petrel_settings_section),
        .title = "L_TWOFACTOR_TITLE",
        .fields = fields,
        .n_fields = 1,
        .save_action = "Confirm",
        .load_action = "Status",
};

static const struct petrel_hooks hooks = {
        .size = sizeof(struct petrel_hooks),
        .init = init,
        .actions = actions,
        .n_actions = sizeof(actions) / sizeof(actions[0]),
        .settings = &settings,
        .login_check = login_check,
};

PETREL_PLUGIN_EXPORT const struct petrel_plugin petrel_plugin_v1 = {
        .abi_major = PETREL_PLUGIN_ABI_MAJOR,
        .abi_minor = PETREL_PLUGIN_ABI_MINOR,
        .size = sizeof(struct petrel_plugin),
        .name = "two-factor",
        .version = "1.0",
        .description = "Two-step sign-in with an authenticator app (TOTP) "
                       "and one-time recovery codes.",
        .options = options,
        .n_options = sizeof(options) / sizeof(options[0]),
        .option_size = sizeof(struct petrel_option),
        .hooks = &hooks,
};

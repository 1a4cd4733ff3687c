/*
 * IMAP keywords used as labels (issue 17). A keyword is an atom
 * (RFC 3501 9: flag-keyword = atom), so it may not hold spaces, controls,
 * '(' ')' '{' '%' '*' '"' '\\' or ']'. A leading '\\' would make it a
 * system flag; labels must never change \Seen, \Deleted and friends, so
 * those are refused here rather than passed through.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "imap.h"
#include "imap_private.h"
#include "core/banned.h"

static bool
atom_char(unsigned char ch)
{
	if (ch <= 0x20 || ch >= 0x7f)
		return false;
	return strchr("(){%*\"\\]", ch) == NULL;
}

int
imap_keyword_check(const char *kw, struct arena *a, struct perr *err)
{
	size_t n;

	if (kw == NULL || kw[0] == '\0')
		return perr_set(err, a, PERR_INPUT, "keyword is empty");
	if (kw[0] == '\\')
		return perr_set(err, a, PERR_INPUT,
		                "system flags cannot be set as labels");
	n = strlen(kw);
	if (n > IMAP_KEYWORD_MAX)
		return perr_set(err, a, PERR_INPUT,
		                "keyword is longer than %d bytes",
		                IMAP_KEYWORD_MAX);
	for (size_t i = 0; i < n; i++) {
		if (!atom_char((unsigned char)kw[i]))
			return perr_set(err, a, PERR_INPUT,
			                "keyword holds a character IMAP does "
			                "not allow in an atom (byte %zu)",
			                i + 1);
	}
	return 0;
}

int
imap_keyword_tb_label(const char *kw)
{
	/* Thunderbird's built-in labels: $label1 .. $label5, any case. */
	if (kw == NULL || strlen(kw) != 7 || strncasecmp(kw, "$label", 6) != 0)
		return 0;
	if (kw[6] < '1' || kw[6] > '5')
		return 0;
	return kw[6] - '0';
}

/*
 * Keywords clients set as machine state, not as something the user
 * chose: never shown as a label. Compared without case (RFC 3501 keeps
 * keywords case-insensitive in practice: Dovecot, Cyrus).
 */
static const char *const state_keywords[] = {
        "$Forwarded",
        "$Junk",
        "$NotJunk",
        "Junk",
        "NonJunk",
        "NotJunk",
        "$MDNSent",
        "$Phishing",
        "$Submitted",
        "$SubmitPending",
        "$AutoJunk",
        "$AutoNotJunk",
        "$HasAttachment",
        "$HasNoAttachment",
        "$IsTrusted",
        "$Unsubscribed",
        "$Notify",
        "$Muted",
        "$Followed",
        "$Answered",
        "$Deleted",
        "$Draft",
        "$Flagged",
        "$Seen",
        "$Recent",
        "$Signed",
        "$Encrypted",
        "$Replied",
        "Old",
        "Forwarded",
        "Redirected",
        "$Redirected",
};

bool
imap_keyword_is_label(const char *kw)
{
	size_t i;

	if (kw == NULL || kw[0] == '\0' || kw[0] == '\\' ||
	    strlen(kw) > IMAP_KEYWORD_MAX)
		return false;
	for (i = 0; kw[i] != '\0'; i++)
		if (!atom_char((unsigned char)kw[i]))
			return false;
	/* Apple Mail keeps its flag colours in three bits of keywords. */
	if (strncasecmp(kw, "$MailFlagBit", 12) == 0)
		return false;
	for (i = 0; i < PT_NELEM(state_keywords); i++)
		if (strcasecmp(kw, state_keywords[i]) == 0)
			return false;
	return true;
}

/*
 * The longest prefix of kw of at most max bytes that does not end inside
 * a modified UTF-7 run ("&...-"), so a cut keyword still decodes.
 */
static size_t
safe_cut(const char *kw, size_t max)
{
	size_t i, len = strlen(kw), amp = SIZE_MAX;

	if (len <= max)
		return len;
	for (i = 0; i < max; i++) {
		if (kw[i] == '&')
			amp = i;
		else if (kw[i] == '-')
			amp = SIZE_MAX;
	}
	return amp != SIZE_MAX ? amp : max;
}

int
imap_keyword_from_name(const char *name, struct arena *a, char **kw_r,
                       struct perr *err)
{
	struct strv v = strv_from_cstr(name != NULL ? name : "");
	char *low, *kw;
	size_t i;
	uint32_t h = 2166136261u;

	*kw_r = NULL;
	if (v.len == 0)
		return perr_set(err, a, PERR_INPUT, "label name is empty");
	if (v.len > IMAP_LABEL_NAME_MAX)
		return perr_set(err, a, PERR_INPUT,
		                "label name is longer than %d bytes",
		                IMAP_LABEL_NAME_MAX);
	if (!codec_utf8_valid(v) || strv_has_ctl(v, false))
		return perr_set(err, a, PERR_INPUT,
		                "label name is not valid UTF-8 text");
	low = strv_dup(a, v);
	if (low == NULL)
		return perr_set(err, a, PERR_LIMIT, "label name too long");
	for (i = 0; i < v.len; i++) {
		unsigned char ch = (unsigned char)low[i];

		h = (h ^ ch) * 16777619u;
		if (ch >= 'A' && ch <= 'Z')
			low[i] = (char)(ch - 'A' + 'a');
		else if (ch < 0x80 && (!atom_char(ch) || ch == '/' ||
		                       ch == '<' || ch == '>'))
			low[i] = '_';
	}
	if (low[0] == '$')
		low[0] = '_';
	/* '&' and the base64 letters of modified UTF-7 are atom bytes. */
	if (imap_mutf7_encode(strv_from_cstr(low), a, &kw, err) != 0)
		return -1;
	if (strlen(kw) > IMAP_LABEL_KEYWORD_MAX) {
		size_t cut = safe_cut(kw, IMAP_LABEL_KEYWORD_MAX - 9);

		kw = arena_printf(a, "%.*s_%08x", (int)cut, kw, (unsigned)h);
		if (kw == NULL)
			return perr_set(err, a, PERR_LIMIT,
			                "label name too long");
	}
	*kw_r = kw;
	return imap_keyword_check(kw, a, err);
}

char *
imap_keyword_unique(const char *kw, imap_keyword_taken_fn *taken, void *ctx,
                    struct arena *a)
{
	unsigned k;

	if (!taken(ctx, kw))
		return arena_strdup(a, kw);
	for (k = 2; k < 1000; k++) {
		char suffix[8];
		char *cand;
		size_t base;

		PT_ASSERT(pt_snprintf_ok(suffix, sizeof(suffix), "_%u", k));
		base = safe_cut(kw, IMAP_LABEL_KEYWORD_MAX - strlen(suffix));
		cand = arena_printf(a, "%.*s%s", (int)base, kw, suffix);
		if (cand == NULL)
			return NULL;
		if (!taken(ctx, cand))
			return cand;
	}
	return NULL;
}

int
imapc_keywords_of(const struct mailimap_msg_att_dynamic *dyn, struct arena *a,
                  const char ***kw_r, size_t *n_r)
{
	const char **v = NULL;
	size_t n = 0;
	clistiter *it;

	*kw_r = NULL;
	*n_r = 0;
	if (dyn == NULL || dyn->att_list == NULL)
		return 0;
	for (it = clist_begin(dyn->att_list); it != NULL; it = clist_next(it)) {
		struct mailimap_flag_fetch *ff = clist_content(it);
		const char *kw;

		if (ff->fl_type != MAILIMAP_FLAG_FETCH_OTHER ||
		    ff->fl_flag == NULL ||
		    ff->fl_flag->fl_type != MAILIMAP_FLAG_KEYWORD)
			continue;
		kw = ff->fl_flag->fl_data.fl_keyword;
		if (!imap_keyword_is_label(kw) || n >= IMAP_ROW_KEYWORDS_MAX)
			continue;
		if (v == NULL &&
		    (v = arena_new_array(a, const char *,
		                         IMAP_ROW_KEYWORDS_MAX)) == NULL)
			return -1;
		if ((v[n] = arena_strdup(a, kw)) == NULL)
			return -1;
		n++;
	}
	*kw_r = v;
	*n_r = n;
	return 0;
}

/* Whether the selection's PERMANENTFLAGS let kw be stored. */
static bool
permanent_allows(const struct imap_conn *c, const char *kw)
{
	struct mailimap_selection_info *si = c->imap->imap_selection_info;
	clistiter *it;

	/* No PERMANENTFLAGS at all: "all flags can be changed
	 * permanently" (RFC 3501 7.1). */
	if (si == NULL || si->sel_perm_flags == NULL)
		return true;
	for (it = clist_begin(si->sel_perm_flags); it != NULL;
	     it = clist_next(it)) {
		const struct mailimap_flag_perm *fp = clist_content(it);

		if (fp->fl_type == MAILIMAP_FLAG_PERM_ALL)
			return true;
		if (fp->fl_flag != NULL &&
		    fp->fl_flag->fl_type == MAILIMAP_FLAG_KEYWORD &&
		    fp->fl_flag->fl_data.fl_keyword != NULL &&
		    strcasecmp(fp->fl_flag->fl_data.fl_keyword, kw) == 0)
			return true;
	}
	return false;
}

static int
select_rw(struct imap_conn *c, const char *folder, struct arena *a,
          struct imap_mailbox_status *st, struct perr *err)
{
	if (imap_select(c, folder, false, st, err) == 0)
		return 0;
	/* imap_select put the message into c's scratch arena. */
	if (err != NULL && err->msg != NULL)
		err->msg = arena_strdup(a, err->msg);
	return -1;
}

int
imap_set_keywords(struct imap_conn *c, const char *folder, const uint32_t *uids,
                  size_t n, const char *const *add, size_t n_add,
                  const char *const *remove, size_t n_remove, struct arena *a,
                  struct perr *err)
{
	size_t i;

	for (i = 0; i < n_add; i++)
		if (imap_keyword_check(add[i], a, err) != 0)
			return -1;
	for (i = 0; i < n_remove; i++)
		if (imap_keyword_check(remove[i], a, err) != 0)
			return -1;
	if (n > IMAP_UIDS_MAX)
		return perr_set(err, a, PERR_LIMIT, "too many messages");
	if (select_rw(c, folder, a, NULL, err) != 0)
		return -1;
	for (i = 0; i < n_add; i++)
		if (!permanent_allows(c, add[i]))
			return perr_set(err, a, PERR_REMOTE,
			                "the mail server does not keep the "
			                "label keyword %s in this folder "
			                "(its PERMANENTFLAGS have neither \\* "
			                "nor the keyword)",
			                add[i]);
	if (n == 0)
		return 0;
	if (n_add > 0 && imap_set_flags(c, folder, uids, n, IMAP_FLAGS_ADD, 0,
	                                add, n_add, a, err) != 0)
		return -1;
	if (n_remove > 0 &&
	    imap_set_flags(c, folder, uids, n, IMAP_FLAGS_REMOVE, 0, remove,
	                   n_remove, a, err) != 0)
		return -1;
	return 0;
}

int
imap_keyword_clear_folder(struct imap_conn *c, const char *folder,
                          const char *kw, struct arena *a, struct perr *err)
{
	struct imap_mailbox_status st;
	struct mailimap_store_att_flags *sf;
	struct mailimap_set *set;
	const char *one[1] = {kw};
	int r;

	if (imap_keyword_check(kw, a, err) != 0 ||
	    select_rw(c, folder, a, &st, err) != 0)
		return -1;
	if (st.exists == 0)
		return 0;
	/* 1:* is every UID: one command however large the folder. */
	c->flag_gen++;
	set = mailimap_set_new_interval(1, 0);
	if (set == NULL)
		return perr_set(err, a, PERR_INTERNAL, "out of memory");
	sf = mailimap_store_att_flags_new_remove_flags_silent(
	        imapc_flag_list(0, one, 1));
	r = mailimap_uid_store(c->imap, set, sf);
	mailimap_store_att_flags_free(sf);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return imapc_fail(c, r, a, PERR_REMOTE, "UID STORE", err);
	return 0;
}

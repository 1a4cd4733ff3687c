/*
 * The user's storage quota (RFC 9208, GETQUOTAROOT on INBOX): what the
 * sidebar shows as used of limit. Servers without QUOTA, or whose INBOX
 * root has no STORAGE limit, have no quota to show; that is not an error.
 */
#include <string.h>

#include <libetpan/quota.h>

#include "imap.h"
#include "imap_private.h"
#include "core/banned.h"

/* The STORAGE resource of the first root that has one. */
static bool
storage_of(const struct mailimap_quota_complete_data *qd, struct imap_quota *q)
{
	clistiter *i, *j;

	if (qd->quota_list == NULL)
		return false;
	for (i = clist_begin(qd->quota_list); i != NULL; i = clist_next(i)) {
		const struct mailimap_quota_quota_data *root = clist_content(i);

		if (root == NULL || root->quota_list == NULL)
			continue;
		for (j = clist_begin(root->quota_list); j != NULL;
		     j = clist_next(j)) {
			const struct mailimap_quota_quota_resource *res =
			        clist_content(j);

			if (res == NULL || res->resource_name == NULL ||
			    !strv_eq_ci_ascii(
			            strv_from_cstr(res->resource_name),
			            STRV_LIT("STORAGE")))
				continue;
			q->known = true;
			q->used_kib = res->usage;
			q->limit_kib = res->limit;
			return true;
		}
	}
	return false;
}

int
imap_quota(struct imap_conn *c, struct arena *a, struct imap_quota *q_r,
           struct perr *err)
{
	struct mailimap_quota_complete_data *qd = NULL;
	int r;

	memset(q_r, 0, sizeof(*q_r));
	if (imapc_check_usable(c, a, err) != 0)
		return -1;
	if (!(imapc_caps(c) & IMAP_CAP_QUOTA))
		return 0;
	r = mailimap_quota_getquotaroot(c->imap, "INBOX", &qd);
	if (r == MAILIMAP_ERROR_EXTENSION || r == MAILIMAP_ERROR_PARSE) {
		/* A reply we cannot read: no quota shown, the rest works. */
		if (qd != NULL)
			mailimap_quota_complete_data_free(qd);
		return 0;
	}
	if (r != MAILIMAP_NO_ERROR)
		return imapc_fail(c, r, a, PERR_REMOTE, "GETQUOTAROOT", err);
	(void)storage_of(qd, q_r);
	mailimap_quota_complete_data_free(qd);
	return 0;
}

/* RFC 9208 QUOTA: the account's quota (mailctl quota) is one quota root,
 * named "", over every folder; its one resource is STORAGE, in units of
 * 1024 octets. An account without a quota has no root. Only the
 * administrator sets quotas. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "imap_impl.h"

/* The account's usage and quota (UINT64_MAX: none): 0, or -1 with the NO given. */
static int usage(struct imap_session *s, const char *tag, uint64_t *used, uint64_t *quota)
{
	if (s->be->usage(s->be->ctx, s->account.id, used, quota) == STORE_OK)
		return 0;
	imap_no(s, tag, IMAP_NO_UNAVAILABLE);
	return -1;
}

static void tell_quota(struct imap_session *s, uint64_t used, uint64_t quota)
{
	imap_untagged(s, "QUOTA \"\" (STORAGE %llu %llu)", (unsigned long long)((used + 1023) / 1024),
	              (unsigned long long)(quota / 1024));
}

void imap_cmd_getquotaroot(struct imap_session *s, const char *tag, struct imap_cursor *c)
{
	char name[STORE_FOLDER_MAX + 1], q[IMAP_MAILBOX_QUOTED_MAX];
	if (imap_take_mailbox(s, c, name, sizeof name) < 0 || !imap_at_end(c)) {
		imap_bad(s, tag, "GETQUOTAROOT mailbox");
		return;
	}
	struct store_folder f;
	enum store_result r = s->be->folder(s->be->ctx, s->account.id, name, &f);
	uint64_t used, quota;
	if (r != STORE_OK) {
		imap_no(s, tag, r == STORE_NOT_FOUND ? IMAP_NO_NONEXISTENT : IMAP_NO_UNAVAILABLE);
		return;
	}
	if (usage(s, tag, &used, &quota) < 0)
		return;
	imap_quote_mailbox(s, f.name, q, sizeof q);
	imap_untagged(s, "QUOTAROOT %s%s", q, quota == UINT64_MAX ? "" : " \"\""); /* no quota: no root */
	if (quota != UINT64_MAX)
		tell_quota(s, used, quota);
	imap_tagged(s, tag, "OK", "GETQUOTAROOT completed");
}

void imap_cmd_getquota(struct imap_session *s, const char *tag, struct imap_cursor *c)
{
	char root[STORE_FOLDER_MAX + 1];
	uint64_t used, quota;
	if (imap_take_astring(c, root, sizeof root) < 0 || !imap_at_end(c)) {
		imap_bad(s, tag, "GETQUOTA root");
		return;
	}
	if (*root) {
		imap_no(s, tag, IMAP_NO_NO_QUOTA);
		return;
	}
	if (usage(s, tag, &used, &quota) < 0)
		return;
	if (quota == UINT64_MAX) {
		imap_no(s, tag, IMAP_NO_NO_QUOTA);
		return;
	}
	tell_quota(s, used, quota);
	imap_tagged(s, tag, "OK", "GETQUOTA completed");
}

void imap_cmd_setquota(struct imap_session *s, const char *tag, struct imap_cursor *c)
{
	(void)c;
	imap_no(s, tag, IMAP_NO_NOPERM);
}

/* APPEND (RFC 9051 6.3.12): the message is a literal of any size up to
 * IMAP_APPEND_MAX, streamed to the store as it arrives (never held whole);
 * the tagged OK comes after the commit, with APPENDUID (RFC 4315). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "imap_impl.h"

#define UTF8_OPEN "UTF8 (" /* APPEND's UTF8 (literal8) opens so */

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* A date-time, "17-Jul-1996 02:44:25 -0700" (RFC 9051 9): seconds since the epoch, or -1. */
static long long parse_date(const char *t)
{
	char mon[4];
	int day, year, h, m, sec, zone, used = 0;
	if (sscanf(t, "%2d-%3s-%4d %2d:%2d:%2d %5d%n", &day, mon, &year, &h, &m, &sec, &zone, &used) != 7 ||
	    t[used] || (t[used - 5] != '+' && t[used - 5] != '-'))
		return -1;
	int k = 0;
	while (k < 12 && strcasecmp(mon, months[k]))
		k++;
	if (k == 12 || day < 1 || day > 31 || year < 1970 || h > 23 || m > 59 || sec > 60)
		return -1;
	struct tm tm = {.tm_year = year - 1900, .tm_mon = k, .tm_mday = day, .tm_hour = h, .tm_min = m, .tm_sec = sec};
	int offset = (zone < 0 ? -1 : 1) * ((zone < 0 ? -zone : zone) / 100 * 3600 + (zone < 0 ? -zone : zone) % 100 * 60);
	return (long long)timegm(&tm) - offset;
}

/* The APPEND's arguments before its literal: mailbox [(flags)] ["date-time"]. */
static int check_append(struct imap_session *s, struct imap_cursor *c, char *name, size_t cap, uint64_t *flags,
                        long long *date)
{
	char text[64];
	*flags = 0;
	*date = 0;
	if (imap_take_mailbox(s, c, name, cap) < 0)
		return -1;
	if (c->p + 1 < c->end && c->p[1] == '(' && imap_take_flags(s, c, flags) < 0)
		return -1;
	if (c->p + 1 < c->end && c->p[1] == '"' && (imap_take_astring(c, text, sizeof text) < 0 || (*date = parse_date(text)) < 0))
		return -1;
	return 0;
}

/* The keywords among flags, as the store keeps them: their text's length. */
static size_t keywords_of(const struct imap_session *s, uint64_t flags, char *out, size_t cap)
{
	imap_keywords_text(s, flags, out, cap);
	return strlen(out);
}

/* Refused: said at once when the client waits for "+" (it sends nothing
 * more), else after the literal it sends anyway, which is dropped. */
static void refuse(struct imap_session *s, const char *tag, uint64_t n, int sync, const char *status, const char *why)
{
	if (sync) {
		imap_tagged(s, tag, status, why);
		return;
	}
	snprintf(s->tag, sizeof s->tag, "%s", tag);
	s->append_refused = why;
	s->append_refused_status = status;
	s->appending = 1;
	s->append_left = n;
}

int imap_append_begin(struct imap_session *s, uint64_t n, int sync)
{
	char tag[IMAP_TAG_MAX + 1], verb[8], name[STORE_FOLDER_MAX + 1];
	char keywords[IMAP_KEYWORDS_MAX * (IMAP_KEYWORD_LEN + 1) + 1];
	struct imap_cursor c = {s->cmd, s->cmd + s->cmd_len};
	if (imap_take_tag(&c, tag, sizeof tag) < 0 || imap_take_atom(&c, verb, sizeof verb) < 0 || strcasecmp(verb, "APPEND"))
		return 0;
	char *marker = memrchr(s->cmd, '{', s->cmd_len); /* the literal's "{n}": the arguments end before it */
	uint64_t flags;
	long long date;
	if (marker && marker > s->cmd && marker[-1] == '~')
		marker--; /* a literal8 (RFC 3516 4.4): the message may hold any octet */
	size_t utf8_open = sizeof UTF8_OPEN - 1;
	s->append_utf8 = marker && (size_t)(marker - s->cmd) >= utf8_open &&
	                 !strncasecmp(marker - utf8_open, UTF8_OPEN, utf8_open);
	if (s->append_utf8)
		marker -= utf8_open; /* RFC 6855 4: UTF8 (literal8), the message's header in UTF-8 */
	if (!marker || marker <= c.p + 1)
		return 0; /* the mailbox's name is this literal: the message's comes later */
	c.end = marker - 1;
	if (s->state != IMAP_AUTHENTICATED && s->state != IMAP_SELECTED)
		refuse(s, tag, n, sync, "BAD", "Log in first");
	else if (check_append(s, &c, name, sizeof name, &flags, &date) < 0 || !imap_at_end(&c))
		refuse(s, tag, n, sync, "BAD", "APPEND mailbox [(flags)] [\"date-time\"] literal");
	else if (n > IMAP_APPEND_MAX)
		refuse(s, tag, n, sync, "NO", imap_no_text(IMAP_NO_TOOBIG));
	else if (keywords_of(s, flags, keywords, sizeof keywords) > STORE_KEYWORDS_MAX)
		refuse(s, tag, n, sync, "NO", imap_no_text(IMAP_NO_KEYWORDS));
	else {
		struct store_folder f;
		enum store_result r = s->be->folder(s->be->ctx, s->account.id, name, &f);
		if (r == STORE_NOT_FOUND)
			refuse(s, tag, n, sync, "NO", imap_no_text(IMAP_NO_TRYCREATE));
		else if (r != STORE_OK || s->be->append_begin(s->be->ctx, s->account.address, f.id,
		                                              (unsigned)(flags & IMAP_SYSTEM_FLAGS), keywords, date) < 0)
			refuse(s, tag, n, sync, "NO", imap_no_text(IMAP_NO_UNAVAILABLE));
		else {
			snprintf(s->tag, sizeof s->tag, "%s", tag);
			s->appending = 1;
			s->append_refused = NULL;
			s->append_result = STORE_OK;
			s->append_left = n;
			s->append_folder = f.id;
			if (sync)
				outbuf_add(s->out, "+ Ready for literal data\r\n", 26);
		}
	}
	return 1;
}

void imap_append_data(struct imap_session *s, const char *data, size_t len)
{
	s->append_left -= len;
	if (!s->append_refused && s->append_result == STORE_OK)
		s->append_result = s->be->append_write(s->be->ctx, data, len);
}

void imap_append_abort(struct imap_session *s)
{
	if (s->appending && !s->append_refused)
		s->be->append_abort(s->be->ctx);
	s->appending = 0;
	s->append_left = 0;
}

void imap_append_end(struct imap_session *s, const char *rest)
{
	const char *why = s->append_refused, *status = s->append_refused_status;
	if (s->append_utf8 && *rest == ')') /* the end of UTF8 (...) */
		rest++;
	else if (s->append_utf8 && !why) {
		why = "APPEND mailbox UTF8 (literal8) has a \")\" after the literal";
		status = "BAD";
	}
	if (!why && *rest) { /* MULTIAPPEND (RFC 3502) is not offered */
		why = "One message an APPEND";
		status = "BAD";
	}
	if (why) {
		imap_append_abort(s);
		imap_tagged(s, s->tag, status, why);
		return;
	}
	s->appending = 0;
	uint32_t uid = 0, validity = 0;
	enum store_result r = s->append_result;
	if (r == STORE_OK)
		r = s->be->append_commit(s->be->ctx, &uid, &validity);
	else
		s->be->append_abort(s->be->ctx);
	if (r == STORE_OK && s->state == IMAP_SELECTED && s->folder.id == s->append_folder)
		imap_update(s); /* the new message, as EXISTS, before the OK */
	if (r == STORE_OK) {
		char text[80];
		snprintf(text, sizeof text, "[APPENDUID %u %u] APPEND completed", validity, uid);
		imap_tagged(s, s->tag, "OK", text);
	} else {
		imap_no(s, s->tag, r == STORE_OVER_QUOTA ? IMAP_NO_OVERQUOTA
		                   : r == STORE_NOT_FOUND ? IMAP_NO_TRYCREATE : IMAP_NO_UNAVAILABLE);
	}
}

/* What the relay agent reads from a remote server: replies, their status, EHLO's offer. */
#include <stdio.h>
#include <string.h>

#include "lib/tap.h"
#include "reply.h"

static struct relay_reply feed(const char *const *lines, int *last_rc)
{
	struct relay_reply r = {0};
	for (int i = 0; lines[i]; i++)
		*last_rc = relay_reply_line(&r, lines[i]);
	return r;
}

int main(void)
{
	int rc;
	struct relay_reply r = feed((const char *const[]){"250 2.1.5 Ok", NULL}, &rc);
	is_int(rc, 1, "a one-line reply is complete");
	is_int(r.code, 250, "its code");
	is_str(r.text, "250 2.1.5 Ok", "its text");
	char st[16];
	relay_reply_status(&r, st);
	is_str(st, "2.1.5", "its enhanced status");

	r = feed((const char *const[]){"550-5.1.1 <x@remote.test>: no such user", "550-second line", NULL}, &rc);
	is_int(rc, 0, "a continuation line asks for more");
	is_int(r.code, 0, "no code before the last line");
	is_int(relay_reply_line(&r, "550 5.1.1 last line"), 1, "the last line ends it");
	is_str(r.text, "550 5.1.1 <x@remote.test>: no such user / second line / 5.1.1 last line",
	       "every line, flattened on one");
	relay_reply_status(&r, st);
	is_str(st, "5.1.1", "the status of the first line");

	r = feed((const char *const[]){"451 try later", NULL}, &rc);
	relay_reply_status(&r, st);
	is_str(st, "4.0.0", "no enhanced code: the class's generic one");
	r = feed((const char *const[]){"550 4.1.1 mismatched class", NULL}, &rc);
	relay_reply_status(&r, st);
	is_str(st, "5.0.0", "an enhanced code of another class is not taken");
	r = feed((const char *const[]){"250", NULL}, &rc);
	is_int(rc, 1, "a bare code is a reply");
	is_str(r.text, "250", "with no text");

	r = feed((const char *const[]){"hello", NULL}, &rc);
	is_int(rc, -1, "not a reply line");
	r = feed((const char *const[]){"250-a", "251 b", NULL}, &rc);
	is_int(rc, -1, "a last line with another code");
	r = feed((const char *const[]){"199 too low", NULL}, &rc);
	is_int(rc, -1, "a code out of range");
	r = feed((const char *const[]){"250x", NULL}, &rc);
	is_int(rc, -1, "a code not followed by space or hyphen");

	struct relay_reply longr = {0};
	char line[1001];
	memset(line, 'a', sizeof line - 1);
	memcpy(line, "250-", 4);
	line[sizeof line - 1] = 0;
	for (int i = 0; i < 3; i++)
		relay_reply_line(&longr, line);
	line[3] = ' ';
	is_int(relay_reply_line(&longr, line), 1, "a long reply still ends");
	is_int(strlen(longr.text), REPLY_TEXT_MAX, "its text is cut at REPLY_TEXT_MAX");

	struct ehlo_offer o = {0};
	const char *ehlo[] = {"PIPELINING", "SIZE 10240000", "8BITMIME", "STARTTLS", "AUTH=LOGIN", "AUTH PLAIN LOGIN CRAM-MD5",
	                      "SMTPUTF8", "PIPELININGX", NULL};
	for (int i = 0; ehlo[i]; i++)
		relay_ehlo_offer_line(&o, ehlo[i]);
	ok(o.pipelining && o.eightbitmime && o.starttls && o.smtputf8, "PIPELINING, 8BITMIME, STARTTLS, SMTPUTF8");
	is_int(o.size, 10240000, "SIZE's limit");
	ok(o.auth_plain && o.auth_login, "AUTH PLAIN and LOGIN");
	struct ehlo_offer none = {0};
	relay_ehlo_offer_line(&none, "SIZE");
	relay_ehlo_offer_line(&none, "AUTH CRAM-MD5");
	relay_ehlo_offer_line(&none, "starttlsx");
	ok(!none.size && !none.auth_plain && !none.auth_login && !none.starttls, "SIZE without a limit, other AUTH, near names");
	relay_ehlo_offer_line(&none, "starttls");
	ok(none.starttls, "keywords in any case");

	is_int(relay_reply_class(250), REPLY_OK, "2xx: done");
	is_int(relay_reply_class(354), REPLY_OK, "3xx: go on");
	is_int(relay_reply_class(421), REPLY_TEMP, "4xx: later");
	is_int(relay_reply_class(0), REPLY_TEMP, "no reply: later");
	is_int(relay_reply_class(554), REPLY_PERM, "5xx: never");
	return done_testing();
}

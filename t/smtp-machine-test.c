/* The SMTP state machine alone, with a stand-in store: no I/O, no database. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/tap.h"
#include "smtp.h"

/* The stand-in store: records what it is given; failures on demand. */
static struct {
	char *msg;
	size_t len;
	int begun, committed, aborted;
	enum store_result write_result, commit_result, auth_result, lookup_result;
	unsigned delayed_ms;
	int pending;
	char bounce_to[STORE_ADDRESS_MAX + 1];
} fake;

static enum store_result f_auth(void *c, const char *u, const char *p, char a[STORE_ADDRESS_MAX + 1])
{
	(void)c;
	if (fake.auth_result == STORE_OK && !strcmp(p, "pw")) {
		store_address_canonical(u, a);
		return STORE_OK;
	}
	return fake.auth_result == STORE_OK ? STORE_DENIED : fake.auth_result;
}
static enum store_result f_lookup(void *c, const char *a) { (void)c; (void)a; return fake.lookup_result; }
static int f_begin(void *c, const char *b, const char *const *r, size_t n)
{
	(void)c; (void)r; (void)n;
	fake.begun++;
	fake.len = 0;
	strcpy(fake.bounce_to, b);
	return 0;
}
static enum store_result f_write(void *c, const void *d, size_t n)
{
	(void)c;
	fake.msg = realloc(fake.msg, fake.len + n);
	memcpy(fake.msg + fake.len, d, n);
	fake.len += n;
	return fake.write_result;
}
static enum store_result f_commit(void *c, uint64_t *id)
{
	(void)c;
	*id = 0xABC;
	fake.committed++;
	return fake.commit_result;
}
static void f_abort(void *c) { (void)c; fake.aborted++; }
static void f_delay(void *c, unsigned ms) { (void)c; fake.delayed_ms += ms; }
static int f_pending(void *c) { (void)c; return fake.pending; }

static const struct smtp_backend be = {.auth = f_auth, .recipient = f_lookup, .begin = f_begin, .write = f_write,
                                       .commit = f_commit, .abort = f_abort, .delay = f_delay, .input_pending = f_pending};

static char replies[1 << 20];
static size_t replies_len;
static int sink(void *c, const char *d, size_t n)
{
	(void)c;
	if (replies_len + n < sizeof replies) {
		memcpy(replies + replies_len, d, n);
		replies_len += n;
		replies[replies_len] = 0;
	}
	return 0;
}

static struct smtp_config cfg = {.hostname = "mx.example", .domain = "example.com", .mode = SMTP_SUBMISSION,
                                  .plaintext_auth = 1, .max_size = 1 << 20, .peer = "192.0.2.1"};
static struct smtp_session s;
static struct outbuf out;

static void start_talked(int client_talked_first)
{
	free(fake.msg);
	memset(&fake, 0, sizeof fake);
	replies_len = 0;
	replies[0] = 0;
	outbuf_init(&out, sink, NULL);
	smtp_init(&s, &cfg, &be, &out);
	smtp_start(&s, client_talked_first);
}

static void start(void) { start_talked(0); }

/* Feeds text in pieces of `step` octets, as reads of any size would. */
static void feed(const char *text, size_t len, size_t step)
{
	for (size_t i = 0; i < len; i += step)
		smtp_input(&s, text + i, len - i < step ? len - i : step);
	outbuf_flush(&out);
}
#define FEED(text, step) feed(text, sizeof text - 1, step)

static void stop(void)
{
	outbuf_flush(&out);
	smtp_free(&s);
	outbuf_free(&out);
}

static const char *last_reply(void)
{
	static char last[600];
	const char *end = replies + replies_len - 2, *p = end;
	while (p > replies && p[-1] != '\n')
		p--;
	snprintf(last, sizeof last, "%.*s", (int)(end - p), p);
	return last;
}

static const char login[] = "EHLO c\r\nAUTH PLAIN AGFAZXhhbXBsZS5jb20AcHc=\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n";

/* The message as the store got it, without the trace fields we add. */
static const char *stored_body(void)
{
	static char body[4096];
	const char *p = memmem(fake.msg, fake.len, "\r\nSubject:", 10);
	snprintf(body, sizeof body, "%.*s", p ? (int)(fake.msg + fake.len - p - 2) : 0, p ? p + 2 : "");
	return body;
}

int main(void)
{
	static const char msg[] = "Subject: s\r\n\r\n..stuffed\r\nplain\r\n.\r\nQUIT\r\n";
	for (size_t step = 1; step <= 7; step++) {
		start();
		FEED(login, step);
		FEED(msg, step);
		is_str(last_reply(), "221 2.0.0 Bye", "fed %zu octets at a time: the session ends with QUIT", step);
		is_str(stored_body(), "Subject: s\r\n\r\n.stuffed\r\nplain\r\n", "and the dot is unstuffed across any read boundary");
		stop();
	}

	start();
	FEED(login, 100);
	ok(strstr(replies, "250-AUTH PLAIN LOGIN\r\n") != NULL, "EHLO offers AUTH");
	is_str(fake.bounce_to, "a@example.com", "bounces go to the submitting sender");
	FEED("Subject: x\r\n\r\nbody\r\n.\r\n", 100);
	ok(fake.len > 2 && !memcmp(fake.msg + fake.len - 2, "\r\n", 2), "a message reaches the store ending in CRLF");
	ok(memmem(fake.msg, fake.len, "\r\nDate: ", 8) && memmem(fake.msg, fake.len, "\r\nMessage-ID: <", 15),
	   "a submitted message lacking Date and Message-ID gets both");
	ok(!memcmp(fake.msg, "Return-Path: <a@example.com>\r\nReceived: from c ([192.0.2.1])\r\n", 62),
	   "Return-Path and Received come first, with the peer address");
	is_str(last_reply(), "250 2.0.0 Ok: queued as ABC", "250 after the store committed");
	stop();

	start();
	FEED(login, 100);
	fake.write_result = STORE_TEMPFAIL;
	char *big = malloc(300100);
	size_t blen = (size_t)sprintf(big, "Subject: big\r\n\r\n");
	while (blen < 300000)
		blen += (size_t)sprintf(big + blen, "01234567\r\n");
	strcpy(big + blen, ".\r\nNOOP\r\n");
	feed(big, strlen(big), 4096);
	free(big);
	ok(strstr(replies, "451 4.3.0 ") != NULL, "a store failure while streaming: 451 4.3.0");
	is_int(fake.committed, 0, "nothing committed");
	is_int(fake.aborted, 1, "the delivery is aborted");
	is_str(last_reply(), "250 2.0.0 Ok", "and the session goes on");
	stop();

	start();
	FEED(login, 100);
	fake.commit_result = STORE_TEMPFAIL;
	FEED("Subject: x\r\n\r\nbody\r\n.\r\n", 100);
	is_str(last_reply(), "451 4.3.0 Temporary failure, please try again later", "a failed commit: 451 4.3.0");
	stop();

	start();
	FEED(login, 100);
	fake.commit_result = STORE_UNKNOWN;
	FEED("Subject: x\r\n\r\nbody\r\n.\r\n", 100);
	is_str(last_reply(), "354 End data with <CR><LF>.<CR><LF>",
	       "a COMMIT whose outcome is unknown gets no reply: neither 250 nor 451 would be true");
	is_int(s.state, SMTP_CLOSED, "the connection is closed instead, as if lost after the end of data");
	stop();

	start();
	FEED(login, 100);
	fake.commit_result = STORE_OVER_QUOTA;
	FEED("Subject: x\r\n\r\nbody\r\n.\r\n", 100);
	is_str(last_reply(), "452 4.2.2 Mailbox full", "over quota: 452 4.2.2");
	stop();

	start();
	FEED("EHLO c\r\nAUTH PLAIN AGFAZXhhbXBsZS5jb20AcHc=\r\nMAIL FROM:<a@example.com>\r\n", 100);
	char rcpts[64];
	for (int i = 0; i < SMTP_RCPT_MAX; i++) {
		int n = snprintf(rcpts, sizeof rcpts, "RCPT TO:<r%d@example.com>\r\n", i);
		feed(rcpts, (size_t)n, 100);
	}
	is_str(last_reply(), "250 2.1.5 Ok", "%d recipients are accepted", SMTP_RCPT_MAX);
	FEED("RCPT TO:<one-more@example.com>\r\n", 100);
	is_str(last_reply(), "452 4.5.3 Error: too many recipients", "one more: 452 4.5.3");
	stop();

	start();
	FEED("EHLO c\r\nAUTH PLAIN AGFAZXhhbXBsZS5jb20AeA==\r\n", 100);
	FEED("AUTH PLAIN AGFAZXhhbXBsZS5jb20AeA==\r\n", 100);
	is_int(fake.delayed_ms, 3 * SMTP_AUTH_DELAY_MS, "failed AUTH waits longer each time (%u ms after two)", fake.delayed_ms);
	FEED("AUTH PLAIN AGFAZXhhbXBsZS5jb20AeA==\r\nNOOP\r\n", 100);
	is_int(s.state, SMTP_CLOSED, "the third failure closes the session");
	stop();

	start();
	fake.auth_result = STORE_TEMPFAIL;
	FEED("EHLO c\r\nAUTH PLAIN AGFAZXhhbXBsZS5jb20AcHc=\r\n", 100);
	is_str(last_reply(), "454 4.7.0 Temporary authentication failure", "database trouble at AUTH: 454 4.7.0");
	stop();

	cfg.mode = SMTP_MX;
	cfg.network_peer = 1;
	start();
	FEED("EHLO c\r\nMAIL FROM:<x@elsewhere.example>\r\n", 100);
	is_str(last_reply(), "554 5.5.0 Error: SMTP protocol synchronization",
	       "a network client sending past EHLO before its reply: 554 5.5.0");
	is_int(s.state, SMTP_CLOSED, "and the end");
	stop();

	start();
	FEED("EHLO c\r\n", 100);
	FEED("MAIL FROM:<>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n", 100);
	is_str(last_reply(), "354 End data with <CR><LF>.<CR><LF>", "MX: MAIL, RCPT and DATA pipelined are fine");
	is_str(fake.bounce_to, "", "and never bounce");
	fake.pending = 1;
	FEED("Subject: x\r\n\r\nbody\r\n.\r\n", 100);
	is_str(last_reply(), "250 2.0.0 Ok: queued as ABC", "input after the end of data is no violation");
	FEED("QUIT\r\n", 100);
	is_str(last_reply(), "554 5.5.0 Error: SMTP protocol synchronization", "but input pending behind QUIT is");
	ok(!memmem(fake.msg, fake.len, "\r\nDate: ", 8), "MX mode adds no Date");
	stop();

	start_talked(1);
	outbuf_flush(&out);
	is_str(replies, "554 5.5.0 Error: SMTP protocol synchronization\r\n",
	       "a client that talks before the greeting gets 554 5.5.0 and no greeting");
	is_int(s.state, SMTP_CLOSED, "and the end");
	stop();
	free(fake.msg);
	return done_testing();
}

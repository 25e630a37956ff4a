/* libFuzzer harness for the SMTP state machine with a stand-in store.
 * The first octet picks the mode and how input is cut into reads; the rest
 * is what a client sends. Checked on every input: each reply line ends in
 * CRLF and is shorter than 512 octets, there is one final reply line per
 * line of input at most (plus the greeting and a closing 421), and a message reaches commit
 * only right after the CRLF "." CRLF that ends it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp.h"
#include "fuzz.h"

static const uint8_t *fed;  /* the input so far, up to fed_len */
static size_t fed_len;
static int one_at_a_time;
static size_t data_start; /* fed_len when DATA was accepted */


static enum store_result f_auth(void *c, const char *u, const char *p, char a[STORE_ADDRESS_MAX + 1])
{
	(void)c;
	if (strcmp(p, "pw") || store_address_canonical(u, a) < 0)
		return STORE_DENIED;
	return STORE_OK;
}
static enum store_result f_lookup(void *c, const char *a) { (void)c; return a[0] == 'n' ? STORE_NOT_FOUND : a[0] == 'x' ? STORE_NOT_LOCAL : STORE_OK; }
static int f_begin(void *c, const char *b, const char *const *r, size_t n)
{
	(void)c; (void)b; (void)r;
	data_start = fed_len;
	return n ? 0 : -1;
}
static enum store_result f_write(void *c, const void *d, size_t n) { (void)c; (void)d; (void)n; return STORE_OK; }
static enum store_result f_commit(void *c, uint64_t *id)
{
	(void)c;
	*id = 1;
	/* Fed one octet at a time, the last five fed are the end of data; or, for
	 * an empty message, "." CRLF right after the DATA line. */
	if (one_at_a_time)
		check((fed_len >= 5 && !memcmp(fed + fed_len - 5, "\r\n.\r\n", 5)) ||
		      (fed_len == data_start + 3 && !memcmp(fed + data_start, ".\r\n", 3)));
	return STORE_OK;
}
static void f_abort(void *c) { (void)c; }
static void f_delay(void *c, unsigned ms) { (void)c; (void)ms; }
static int f_pending(void *c) { (void)c; return 0; }
/* The MX checks' verdicts, by the addresses' first letters: each path of the machine's is reached. */
static int listed;
static enum smtp_check f_client(void *c, char why[SMTP_WHY_MAX])
{
	(void)c;
	strcpy(why, "bl.example");
	return listed ? SMTP_CHECK_REFUSE : SMTP_CHECK_PASS;
}
static enum smtp_check f_sender(void *c, const char *helo, const char *sender)
{
	(void)c, (void)helo;
	listed = sender[0] == 'l';
	return sender[0] == 'f' ? SMTP_CHECK_REFUSE : SMTP_CHECK_PASS;
}
static enum smtp_check f_recipient(void *c, const char *sender, const char *rcpt)
{
	(void)c, (void)sender;
	return rcpt[0] == 'g' ? SMTP_CHECK_DEFER : rcpt[0] == 't' ? SMTP_CHECK_TEMPFAIL : SMTP_CHECK_PASS;
}
static int verdict; /* of the message, from its first field's first letter */
static void f_field(void *c, const char *field, size_t len)
{
	(void)c;
	check(len > 0 && field[len - 1] == '\n');
	verdict = field[0];
}
static void f_body(void *c, const void *data, size_t len) { (void)c, (void)data, (void)len; }
static enum smtp_check f_message(void *c, const char *helo, const char *sender,
                                 const char (*rcpt)[STORE_ADDRESS_MAX + 1], size_t n_rcpt, char why[SMTP_WHY_MAX])
{
	(void)c, (void)helo, (void)sender;
	check(n_rcpt > 0 && rcpt[0][0]);
	strcpy(why, "DMARC policy of example.org");
	return verdict == 'R' ? SMTP_CHECK_REFUSE : verdict == 'S' ? SMTP_CHECK_SPAM : verdict == 'D' ? SMTP_CHECK_DEFER
	     : verdict == 'T' ? SMTP_CHECK_TEMPFAIL : SMTP_CHECK_PASS;
}
static int f_head(void *c, const char *data, size_t len)
{
	(void)c;
	check(len >= 2 && !memcmp(data, "Return-Path: <", 14) && !memcmp(data + len - 2, "\r\n", 2));
	return verdict == 'H' ? -1 : 0;
}
static size_t f_results(void *c, char *buf, size_t size)
{
	(void)c;
	return (size_t)snprintf(buf, size, "Authentication-Results: mx.example;\r\n\tspf=pass smtp.mailfrom=a@b\r\n");
}
static const struct smtp_backend be = {.auth = f_auth, .recipient = f_lookup, .begin = f_begin, .write = f_write,
                                       .commit = f_commit, .abort = f_abort, .delay = f_delay, .input_pending = f_pending,
                                       .check_client = f_client, .check_sender = f_sender,
                                       .check_recipient = f_recipient, .check_field = f_field, .check_body = f_body,
                                       .check_message = f_message, .results = f_results, .head = f_head};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct smtp_config cfg = {.hostname = "mx.example", .domain = "example.com",
	                          .mode = data[0] & 1 ? SMTP_MX : SMTP_SUBMISSION, .plaintext_auth = !(data[0] & 2),
	                          .reject_unknown = !!(data[0] & 4), .network_peer = !!(data[0] & 8),
	                          .tls_available = !!(data[0] & 16), .max_size = 4096, .peer = "192.0.2.1"};
	size_t step = (data[0] >> 5) + 1; /* 1 to 8 octets a read */
	one_at_a_time = step == 1;
	data++;
	size--;
	struct outbuf ob;
	struct smtp_session s;
	out_len = 0;
	outbuf_init(&ob, sink, NULL);
	if (smtp_init(&s, &cfg, &be, &ob) < 0)
		abort();
	verdict = 0;
	smtp_start(&s, 0);
	fed = data;
	for (fed_len = 0; fed_len < size && s.state != SMTP_CLOSED;) {
		size_t n = size - fed_len < step ? size - fed_len : step;
		fed_len += n;
		smtp_input(&s, (const char *)data + fed_len - n, n);
		if (s.state == SMTP_STARTTLS)
			smtp_tls_started(&s, "TLSv1.3 with cipher TEST");
	}
	smtp_eof(&s);
	outbuf_flush(&ob);
	size_t lines = 1; /* the greeting */
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	size_t finals = 0;
	for (size_t i = 0, start = 0; i < out_len; i++) {
		if (out[i] != '\n')
			continue;
		size_t len = i - start + 1; /* CRLF included; the seed's bare "535" is the shortest */
		check(len >= 5 && out[i - 1] == '\r' && len <= 512 && out[start] >= '2' && out[start] <= '5');
		if (len == 5 || out[start + 3] == ' ')
			finals++;
		else
			check(out[start + 3] == '-');
		start = i + 1;
	}
	check(out_len == 0 || out[out_len - 1] == '\n');
	check(finals <= lines + 1); /* plus, at most, a closing 421 after the last reply */
	smtp_free(&s);
	outbuf_free(&ob);
	return 0;
}

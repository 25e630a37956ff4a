/* libFuzzer harness for the POP3 state machine with a stand-in maildrop.
 * Checked: every line ends in CRLF; a line that is not message content
 * starts with +OK, -ERR or "+ " and is shorter than 512 octets; multi-line
 * replies end with a lone "."; content lines starting with "." are stuffed. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pop3.h"
#include "fuzz.h"


static const char *bodies[] = {"Subject: a\r\n\r\n.dot\r\n..two\r\nend\r\n", "no newline", ".\r\n"};

static enum store_result f_auth(void *c, const char *u, const char *p, struct store_account *a)
{
	(void)c;
	if (strcmp(p, "pw") || store_address_canonical(u, a->address) < 0)
		return STORE_DENIED;
	a->id = 1;
	return STORE_OK;
}
static enum store_result f_lock(void *c, uint64_t id) { (void)c; return id ? STORE_OK : STORE_IN_USE; }
static void f_unlock(void *c, uint64_t id) { (void)c; (void)id; }
static enum store_result f_list(void *c, uint64_t id, store_entry_fn fn, void *ctx)
{
	(void)c; (void)id;
	for (uint64_t i = 0; i < 3; i++) {
		struct store_entry e = {i, strlen(bodies[i]), "uidl"};
		e.uidl[4] = (char)('0' + i);
		fn(ctx, &e);
	}
	return STORE_OK;
}
static enum store_result f_read(void *c, uint64_t a, const struct store_entry_ref *entries, size_t n_entries,
                                long lines, store_data_fn fn, void *ctx)
{
	(void)c; (void)a; (void)lines; (void)n_entries;
	if (entries[0].id >= sizeof bodies / sizeof *bodies)
		return STORE_NOT_FOUND;
	const char *b = bodies[entries[0].id];
	size_t n = strlen(b);
	for (size_t i = 0; i < n; i += 3) /* in small pieces: stuffing must work across them */
		fn(ctx, b + i, n - i < 3 ? n - i : 3);
	return STORE_OK;
}
static enum store_result f_delete(void *c, uint64_t a, const uint64_t *ids, size_t n)
{
	(void)c; (void)a; (void)ids; (void)n;
	return STORE_OK;
}
static void f_delay(void *c, unsigned ms) { (void)c; (void)ms; }
static enum store_result f_keep(void *c, uint64_t id) { (void)c; (void)id; return STORE_OK; }
static const struct pop3_backend be = {NULL, f_auth, f_lock, f_unlock, f_list, f_read, f_delete, f_delay, NULL, f_keep};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct pop3_config cfg = {.plaintext_auth = !(data[0] & 1), .delete_immediate = !!(data[0] & 2),
	                          .tls_available = !!(data[0] & 4)};
	size_t step = (data[0] >> 4) + 1;
	data++;
	size--;
	struct outbuf ob;
	struct pop3_session s;
	out_len = 0;
	outbuf_init(&ob, sink, NULL);
	pop3_init(&s, &cfg, &be, &ob);
	pop3_start(&s);
	for (size_t i = 0; i < size && s.state != POP3_CLOSED; i += step) {
		pop3_input(&s, (const char *)data + i, size - i < step ? size - i : step);
		if (s.state == POP3_STLS)
			pop3_tls_started(&s);
	}
	pop3_eof(&s);
	outbuf_flush(&ob);
	check(out_len == 0 || out[out_len - 1] == '\n');
	int in_multi = 0;
	for (size_t i = 0, start = 0; i < out_len; i++) {
		if (out[i] != '\n')
			continue;
		const char *l = out + start;
		size_t len = i - start + 1;
		check(len >= 2 && out[i - 1] == '\r');
		if (in_multi) {
			if (len == 3 && l[0] == '.')
				in_multi = 0;
			else
				check(l[0] != '.' || (len > 3 && l[1] == '.')); /* stuffed */
		} else {
			check(len <= 512 && (!strncmp(l, "+OK", 3) || !strncmp(l, "-ERR", 4) || !strncmp(l, "+ \r\n", 4)));
			/* replies that go on after their first line */
			in_multi = !strncmp(l, "+OK Capability", 14) || !strncmp(l, "+OK Unique-ID", 13) ||
			           !strncmp(l, "+OK Mechanisms", 14) || (!strncmp(l, "+OK ", 4) && l[4] >= '0' && l[4] <= '9' &&
			           (memmem(l, len, " messages (", 11) || memmem(l, len, " message (", 10) ||
			            memmem(l, len, " octets\r\n", 9)));
		}
		start = i + 1;
	}
	pop3_free(&s);
	outbuf_free(&ob);
	return 0;
}

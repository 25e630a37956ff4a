/* Peak memory of libstore streaming a message in or out (make bench).
 *   store-bench in SIZE    delivers SIZE octets to bench@example.com
 *   store-bench out        streams that mailbox's newest message out
 *   store-bench fill ADDRESS COUNT SIZE   delivers COUNT messages of SIZE
 * in and out print their figure as: <direction> <octets> <peak RSS KiB>. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "store.h"

static long peak_kib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int newest(void *ctx, const struct store_entry *e)
{
	*(uint64_t *)ctx = e->id;
	return 0;
}

static int count(void *ctx, const void *data, size_t n)
{
	(void)data;
	*(size_t *)ctx += n;
	return 0;
}

/* A message of size octets: a header, then 78-octet lines. */
static enum store_result deliver(struct store *s, const char *to, size_t size)
{
	static char piece[64 * 1024];
	size_t done = 0;
	static const char head[] = "Subject: bench\r\n\r\n";
	memset(piece, 'x', sizeof piece);
	for (size_t i = 77; i < sizeof piece; i += 78)
		piece[i - 1] = '\r', piece[i] = '\n';
	memcpy(piece, head, sizeof head - 1);
	struct store_delivery *d = store_delivery_begin(s, "");
	store_delivery_add_recipient(d, to);
	enum store_result r = STORE_OK;
	while (done < size && r == STORE_OK) {
		size_t n = size - done < sizeof piece ? size - done : sizeof piece;
		r = store_delivery_write(d, piece, n);
		memcpy(piece, "xxxxxxxxxxxxxxxxxx", sizeof head - 1);
		done += n;
	}
	struct store_delivery_result res;
	if (r == STORE_OK)
		r = store_delivery_commit(d, &res);
	store_delivery_free(d);
	return r;
}

int main(int argc, char **argv)
{
	struct store *s = store_open();
	struct store_account a;
	if (argc == 5 && !strcmp(argv[1], "fill")) {
		enum store_result r = STORE_OK;
		for (unsigned long i = strtoul(argv[3], NULL, 10); i > 0 && r == STORE_OK; i--)
			r = deliver(s, argv[2], strtoull(argv[4], NULL, 10));
		store_close(s);
		return r == STORE_OK ? 0 : 1;
	}
	if (store_lookup(s, "bench@example.com", &a) != STORE_OK)
		return 1;
	if (argc == 3 && !strcmp(argv[1], "in")) {
		size_t size = strtoull(argv[2], NULL, 10);
		if (deliver(s, "bench@example.com", size) != STORE_OK)
			return 1;
		printf("in %zu %ld\n", size, peak_kib());
	} else if (argc == 2 && !strcmp(argv[1], "out")) {
		uint64_t id = 0;
		size_t n = 0;
		if (store_maildrop_list(s, a.id, newest, &id) != STORE_OK ||
		    store_maildrop_read(s, a.id, &(struct store_entry_ref){id, 0}, 1, -1, count, &n) != STORE_OK)
			return 1;
		printf("out %zu %ld\n", n, peak_kib());
	} else {
		return 2;
	}
	store_close(s);
	return 0;
}

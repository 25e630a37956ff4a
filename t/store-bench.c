/* Peak memory of libstore streaming a message in or out (make bench).
 *   store-bench in SIZE    delivers SIZE octets to bench@example.com
 *   store-bench out        streams that mailbox's newest message out
 * Each prints its figure as: <direction> <octets> <peak RSS KiB>. */
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

int main(int argc, char **argv)
{
	struct store *s = store_open();
	struct store_account a;
	if (store_lookup(s, "bench@example.com", &a) != STORE_OK)
		return 1;
	if (argc == 3 && !strcmp(argv[1], "in")) {
		size_t size = strtoull(argv[2], NULL, 10), done = 0;
		static char piece[64 * 1024];
		memset(piece, 'x', sizeof piece);
		for (size_t i = 77; i < sizeof piece; i += 78)
			piece[i - 1] = '\r', piece[i] = '\n';
		struct store_delivery *d = store_delivery_begin(s, "");
		store_delivery_add_recipient(d, "bench@example.com");
		while (done < size) {
			size_t n = size - done < sizeof piece ? size - done : sizeof piece;
			if (store_delivery_write(d, piece, n) != STORE_OK)
				return 1;
			done += n;
		}
		struct store_delivery_result res;
		if (store_delivery_commit(d, &res) != STORE_OK)
			return 1;
		store_delivery_free(d);
		printf("in %zu %ld\n", size, peak_kib());
	} else if (argc == 2 && !strcmp(argv[1], "out")) {
		uint64_t id = 0;
		size_t n = 0;
		if (store_maildrop_list(s, a.id, newest, &id) != STORE_OK ||
		    store_maildrop_read(s, a.id, id, -1, count, &n) != STORE_OK)
			return 1;
		printf("out %zu %ld\n", n, peak_kib());
	} else {
		return 2;
	}
	store_close(s);
	return 0;
}

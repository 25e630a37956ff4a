/* Delivers stdin through libstore as it is, no trace fields added: fills
 * mailboxes with exact bytes for the POP3 tests.
 *   store-deliver SENDER RECIPIENT... < message */
#include <stdio.h>

#include "store.h"

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	struct store *s = store_open();
	struct store_delivery *d = store_delivery_begin(s, argv[1]);
	for (int i = 2; d && i < argc; i++)
		store_delivery_add_recipient(d, argv[i]);
	char buf[65536];
	size_t n;
	enum store_result r = d ? STORE_OK : STORE_PERMFAIL;
	while (r == STORE_OK && (n = fread(buf, 1, sizeof buf, stdin)) > 0)
		r = store_delivery_write(d, buf, n);
	struct store_delivery_result res;
	if (r == STORE_OK)
		r = store_delivery_commit(d, &res);
	store_delivery_free(d);
	if (r != STORE_OK)
		fprintf(stderr, "store-deliver: %s: %s\n", store_result_name(r), store_error(s));
	store_close(s);
	return r == STORE_OK ? 0 : 1;
}

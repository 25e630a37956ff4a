#include <string.h>

#include "dotstuff.h"

int dotstuff_put(struct dotstuff *d, const char *p, size_t n, dotstuff_emit emit, void *ctx)
{
	const char *from = p, *end = p + n;
	while (p < end) {
		if (d->at_line_start && *p == '.') { /* what came before, one more dot; this one goes with the rest */
			if (emit(ctx, from, (size_t)(p - from)) < 0 || emit(ctx, ".", 1) < 0)
				return -1;
			from = p;
		}
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		d->at_line_start = nl != NULL;
		p = nl ? nl + 1 : end;
	}
	return from < end ? emit(ctx, from, (size_t)(end - from)) : 0;
}

#include <string.h>
#include <strings.h>

#include "lines.h"

size_t lines_take(struct lines *l, const char *data, size_t len, int *complete, size_t *line_len, int *too_long)
{
	const char *nl = memchr(data, '\n', len);
	size_t n = nl ? (size_t)(nl - data) + 1 : len;
	if (!l->too_long && l->len + n <= l->cap) {
		memcpy(l->buf + l->len, data, n);
		l->len += n;
	} else {
		l->too_long = 1;
	}
	*complete = nl != NULL;
	if (!nl)
		return n;
	size_t k = l->too_long ? 0 : l->len - 1; /* without the LF, and a CR before it */
	if (k > 0 && l->buf[k - 1] == '\r')
		k--;
	l->buf[k] = '\0';
	*line_len = k;
	*too_long = l->too_long;
	l->len = 0;
	l->too_long = 0;
	return n;
}

const void *lines_verb(const void *rows, size_t n, size_t row_size, const char *line, size_t *vlen)
{
	*vlen = strcspn(line, " ");
	for (const char *row = rows; n--; row += row_size) {
		const char *verb = *(const char *const *)(const void *)row;
		if (strlen(verb) == *vlen && !strncasecmp(line, verb, *vlen))
			return row;
	}
	return NULL;
}

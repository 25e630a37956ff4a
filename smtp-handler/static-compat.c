/* For the static smtp-handler only (see the Makefile): what libopendkim.a
 * takes from libbsd and libdb, which Debian 12 ships as shared objects only. */
#define _GNU_SOURCE
#include <string.h>

size_t strlcpy(char *dst, const char *src, size_t size);
size_t strlcat(char *dst, const char *src, size_t size);
int db_create(void **db, void *env, unsigned flags);

/* BSD's: copies what fits, always terminated; returns the length it wanted. */
size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);
	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

size_t strlcat(char *dst, const char *src, size_t size)
{
	size_t used = strnlen(dst, size);
	if (used == size)
		return size + strlen(src);
	return used + strlcpy(dst + used, src, size - used);
}

/* libopendkim's key cache (DKIM_LIBFLAGS_CACHE), which the handler never turns on. */
int db_create(void **db, void *env, unsigned flags)
{
	(void)db, (void)env, (void)flags;
	return -1;
}

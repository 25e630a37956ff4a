#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"

#define ARRAY_FIRST_CAP 16 /* most arrays stay this small: one allocation */

int array_reserve(void *array_ptr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t want = *cap ? 2 * *cap : ARRAY_FIRST_CAP;
	if (want <= n)
		want = n + 1;
	if (want > SIZE_MAX / size)
		return -1;
	void *old, *p;
	memcpy(&old, array_ptr, sizeof old); /* any pointer type, without aliasing it */
	if (!(p = realloc(old, want * size)))
		return -1;
	memcpy(array_ptr, &p, sizeof p);
	*cap = want;
	return 0;
}

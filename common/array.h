/* Growing arrays: the one place that doubles a buffer of elements. */
#ifndef INETMAIL_ARRAY_H
#define INETMAIL_ARRAY_H

#include <stddef.h>

/* Makes room for element n of the array *array_ptr (a pointer to the
 * array's pointer), which has room for *cap elements of size octets: doubles
 * it when full. 0, or -1 out of memory with the array as it was. */
int array_reserve(void *array_ptr, size_t *cap, size_t n, size_t size);

#endif

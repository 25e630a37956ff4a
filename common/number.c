#include <string.h>

#include "number.h"

#define NUMBER_DIGITS_MAX 20 /* UINT64_MAX has 20: a longer one cannot fit */

int number_take(const char **p, const char *end, uint64_t max, uint64_t *out)
{
	const char *s = *p;
	size_t n = 0;
	while (s + n < end && s[n] >= '0' && s[n] <= '9')
		n++;
	if (n == 0 || n > NUMBER_DIGITS_MAX || (s[0] == '0' && n > 1))
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (max - d) / 10) /* v * 10 + d would pass max */
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	*p = s + n;
	return 0;
}

int number_parse(const char *s, uint64_t max, uint64_t *out)
{
	const char *p = s, *end = s + strlen(s);
	return number_take(&p, end, max, out) == 0 && p == end ? 0 : -1;
}

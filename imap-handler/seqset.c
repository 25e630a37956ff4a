/* IMAP's sequence sets (RFC 9051 9: sequence-set): "1:3,7,9:*". */
#include <string.h>

#include "imap_impl.h"
#include "number.h"

int imap_set_parse(const char *text, uint32_t star, struct imap_set *set)
{
	set->n = 0;
	for (const char *p = text; *p;) {
		uint32_t v[2];
		int k = 0;
		for (;;) {
			if (*p == '*') {
				v[k] = star;
				p++;
			} else {
				char digits[11];
				size_t d = strspn(p, "0123456789");
				uint64_t x;
				if (!d || d >= sizeof digits)
					return -1;
				memcpy(digits, p, d);
				digits[d] = '\0';
				if (number_parse(digits, UINT32_MAX, &x) < 0 || x == 0)
					return -1;
				v[k] = (uint32_t)x;
				p += d;
			}
			if (k == 0 && *p == ':') {
				k = 1;
				p++;
				continue;
			}
			break;
		}
		if (set->n == SEQ_RANGES_MAX)
			return -1;
		uint32_t a = v[0], b = k ? v[1] : v[0];
		set->lo[set->n] = a < b ? a : b;
		set->hi[set->n++] = a < b ? b : a;
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	return set->n ? 0 : -1;
}

int imap_set_has(const struct imap_set *set, uint32_t v)
{
	for (size_t i = 0; i < set->n; i++)
		if (v >= set->lo[i] && v <= set->hi[i])
			return 1;
	return 0;
}

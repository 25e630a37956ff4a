/* "&" starts base64 of UTF-16 (with "," for "/") that "-" ends; "&-" is "&". */
#include "utf7.h"

#include <stdint.h>
#include <string.h>

static int b64(char c)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
	const char *p = c ? strchr(alphabet, c) : NULL;
	return p ? (int)(p - alphabet) : -1;
}

/* One code point as UTF-8: 0, or -1 when out is full. */
static int put(uint32_t cp, char *out, size_t cap, size_t *n)
{
	char u[4];
	size_t k = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
	if (k == 1)
		u[0] = (char)cp;
	else {
		for (size_t i = k - 1; i > 0; i--, cp >>= 6)
			u[i] = (char)(0x80 | (cp & 0x3f));
		u[0] = (char)((k == 2 ? 0xc0 : k == 3 ? 0xe0 : 0xf0) | cp);
	}
	if (*n + k >= cap)
		return -1;
	memcpy(out + *n, u, k);
	*n += k;
	return 0;
}

int utf7_decode(const char *in, char *out, size_t cap)
{
	size_t n = 0;
	while (*in) {
		unsigned char c = (unsigned char)*in++;
		if (c < 0x20 || c > 0x7e)
			return -1; /* printable ASCII only, the rest encoded */
		if (c != '&') {
			if (put(c, out, cap, &n) < 0)
				return -1;
			continue;
		}
		if (*in == '-') {
			in++;
			if (put('&', out, cap, &n) < 0)
				return -1;
			continue;
		}
		uint32_t bits = 0, high = 0;
		int have = 0, units = 0, v;
		while ((v = b64(*in)) >= 0) {
			in++;
			bits = bits << 6 | (uint32_t)v;
			have += 6;
			if (have < 16)
				continue;
			have -= 16;
			uint32_t unit = bits >> have & 0xffff;
			units++;
			if (unit >= 0xd800 && unit < 0xdc00) {
				if (high)
					return -1;
				high = unit;
			} else if (unit >= 0xdc00 && unit < 0xe000) {
				if (!high || put(0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00), out, cap, &n) < 0)
					return -1;
				high = 0;
			} else if (high || unit < 0x20 || (unit < 0x7f && unit != '&') || put(unit, out, cap, &n) < 0) {
				return -1; /* ASCII must not be encoded (but "&" may be) */
			}
		}
		if (*in++ != '-' || !units || high || (bits & ((1u << have) - 1)))
			return -1;
	}
	out[n] = '\0';
	return 0;
}

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
			} else if (high || !unit || (unit >= 0x20 && unit <= 0x7e) || put(unit, out, cap, &n) < 0) {
				return -1; /* printable ASCII stands for itself, never encoded; no NUL */
			}
		}
		if (*in++ != '-' || !units || high || (bits & ((1u << have) - 1)))
			return -1;
	}
	out[n] = '\0';
	return 0;
}

/* The next code point of UTF-8 at *p (moved past it): -1 when it is not UTF-8. */
static long next_cp(const unsigned char **p)
{
	const unsigned char *s = *p;
	unsigned k = s[0] < 0x80 ? 0 : s[0] >= 0xc2 && s[0] < 0xe0 ? 1 : s[0] >= 0xe0 && s[0] < 0xf0 ? 2
	                                                            : s[0] >= 0xf0 && s[0] < 0xf5 ? 3 : 4;
	if (k == 4)
		return -1;
	long cp = k ? s[0] & (0x3f >> k) : s[0];
	for (unsigned i = 1; i <= k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp < 0xe000))
		return -1; /* overlong, past Unicode, or a surrogate */
	*p = s + k + 1;
	return cp;
}

int utf7_encode(const char *in, char *out, size_t cap)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
	const unsigned char *p = (const unsigned char *)in;
	size_t n = 0;
	while (*p) {
		if (*p >= 0x20 && *p <= 0x7e) { /* printable ASCII as it is, "&" as "&-" */
			if (n + 2 >= cap)
				return -1;
			out[n++] = (char)*p;
			if (*p++ == '&')
				out[n++] = '-';
			continue;
		}
		uint32_t bits = 0;
		int have = 0;
		if (n + 1 >= cap)
			return -1;
		out[n++] = '&';
		while (*p && !(*p >= 0x20 && *p <= 0x7e)) {
			long cp = next_cp(&p);
			if (cp < 0)
				return -1;
			uint32_t units[2] = {(uint32_t)cp, 0};
			int k = 1;
			if (cp >= 0x10000) {
				units[0] = 0xd800 + ((uint32_t)(cp - 0x10000) >> 10);
				units[1] = 0xdc00 + ((uint32_t)(cp - 0x10000) & 0x3ff);
				k = 2;
			}
			for (int i = 0; i < k; i++) {
				bits = bits << 16 | units[i];
				have += 16;
				while (have >= 6) {
					if (n + 1 >= cap)
						return -1;
					have -= 6;
					out[n++] = alphabet[bits >> have & 0x3f];
				}
			}
		}
		if (n + 3 >= cap)
			return -1;
		if (have)
			out[n++] = alphabet[bits << (6 - have) & 0x3f];
		out[n++] = '-';
	}
	out[n] = '\0';
	return 0;
}

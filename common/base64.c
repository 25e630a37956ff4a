#include "base64.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

long base64_decode(const char *in, size_t n, unsigned char *out)
{
	if (n % 4)
		return -1;
	long len = 0;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;
		for (int k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)in[i + k];
			if (c == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad || (v[k] = value(c)) < 0) {
				return -1; /* a character outside the alphabet, or data after padding */
			}
		}
		unsigned bits = (unsigned)(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
		out[len++] = (unsigned char)(bits >> 16);
		if (pad < 2)
			out[len++] = (unsigned char)(bits >> 8);
		if (pad < 1)
			out[len++] = (unsigned char)bits;
		if ((pad == 1 && (v[2] & 3)) || (pad == 2 && (v[1] & 15)))
			return -1; /* non-zero bits in the padding: not canonical */
	}
	return len;
}

void base64_encode(const unsigned char *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned b = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
		             (i + 2 < n ? in[i + 2] : 0);
		out[o++] = alphabet[b >> 18 & 63];
		out[o++] = alphabet[b >> 12 & 63];
		out[o++] = i + 1 < n ? alphabet[b >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? alphabet[b & 63] : '=';
	}
	out[o] = '\0';
}

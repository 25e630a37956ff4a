/* Shared by the libFuzzer harnesses: property checks and an output sink. */
#ifndef INETMAIL_FUZZ_H
#define INETMAIL_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libFuzzer's entry point, which each harness defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken property: say which, then crash so libFuzzer keeps the input. */
#define check(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "property broken at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

/* The longest input the parser harnesses take: room for every message shape, yet fast runs. */
#define FUZZ_TEXT_MAX 8192

/* The input as a NUL-terminated text to free, or NULL when over FUZZ_TEXT_MAX. */
__attribute__((unused)) static char *fuzz_text(const uint8_t *data, size_t size)
{
	char *text = size <= FUZZ_TEXT_MAX ? malloc(size + 1) : NULL;
	if (text) {
		memcpy(text, data, size);
		text[size] = '\0';
	}
	return text;
}

/* What a session wrote, for the checks: an outbuf sink. */
static char *out;
static size_t out_len, out_cap;

__attribute__((unused)) static int sink(void *c, const char *d, size_t n)
{
	(void)c;
	if (out_len + n > out_cap) {
		out_cap = (out_len + n) * 2;
		out = realloc(out, out_cap);
	}
	memcpy(out + out_len, d, n);
	out_len += n;
	return 0;
}

#endif

/* rspamd's JSON reply, walked once: the top object's "action", "score" and
 * "required_score", and the names (keys) of its "symbols" object. Anything
 * else is skipped by its syntax alone; nesting is bounded. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "rspamd.h"

#define JSON_DEPTH_MAX 32 /* rspamd nests four deep; a deeper reply is none of its */

struct json {
	const char *p, *end;
	struct smtp_rspamd_reply *out;
	int has_action;
};

static void blanks(struct json *j)
{
	while (j->p < j->end && strchr(" \t\r\n", *j->p) && *j->p)
		j->p++;
}

/* A string at p: its content (escapes kept as they are, which no name we want has) in [*s, *s + *n). */
static int string(struct json *j, const char **s, size_t *n)
{
	if (j->p == j->end || *j->p != '"')
		return -1;
	const char *start = ++j->p;
	while (j->p < j->end && *j->p != '"') {
		if (*j->p == '\\' && j->end - j->p > 1)
			j->p++;
		j->p++;
	}
	if (j->p == j->end)
		return -1;
	*s = start;
	*n = (size_t)(j->p++ - start);
	return 0;
}

static int is(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && !memcmp(s, word, n);
}

/* A number's text as strtod reads it, bounded by the reply's end. */
static int number(struct json *j, double *out)
{
	char text[64];
	size_t n = 0;
	while (j->p + n < j->end && n < sizeof text - 1 && strchr("+-.0123456789eE", j->p[n]) && j->p[n])
		n++;
	if (!n)
		return -1;
	memcpy(text, j->p, n);
	text[n] = '\0';
	char *end;
	*out = strtod(text, &end);
	j->p += n;
	return end == text + n ? 0 : -1;
}

static void add_symbol(struct smtp_rspamd_reply *r, const char *s, size_t n)
{
	size_t used = strlen(r->symbols), comma = used > 0;
	if (used + comma + n >= sizeof r->symbols || memchr(s, ',', n) || memchr(s, '\\', n))
		return; /* the log line names what fits, whole */
	if (comma)
		r->symbols[used++] = ',';
	memcpy(r->symbols + used, s, n);
	r->symbols[used + n] = '\0';
}

/* A value; where: 1 for the top object's values, 2 for those of "symbols", 0 elsewhere. */
static int value(struct json *j, int depth, int where);

static int object(struct json *j, int depth, int where)
{
	j->p++;
	blanks(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return 0;
	}
	for (;;) {
		const char *key;
		size_t n;
		blanks(j);
		if (string(j, &key, &n) < 0)
			return -1;
		blanks(j);
		if (j->p == j->end || *j->p++ != ':')
			return -1;
		blanks(j);
		if (where == 2)
			add_symbol(j->out, key, n);
		if (where == 1 && is(key, n, "action")) {
			const char *a;
			size_t k;
			if (string(j, &a, &k) < 0 || k >= sizeof j->out->action)
				return -1;
			memcpy(j->out->action, a, k);
			j->out->action[k] = '\0';
			j->has_action = 1;
		} else if (where == 1 && (is(key, n, "score") || is(key, n, "required_score"))) {
			if (number(j, is(key, n, "score") ? &j->out->score : &j->out->required) < 0)
				return -1;
			j->out->scored |= is(key, n, "score");
		} else if (value(j, depth + 1, where == 1 && is(key, n, "symbols") ? 2 : 0) < 0) {
			return -1;
		}
		blanks(j);
		if (j->p == j->end)
			return -1;
		if (*j->p == '}') {
			j->p++;
			return 0;
		}
		if (*j->p++ != ',')
			return -1;
	}
}

static int array(struct json *j, int depth)
{
	j->p++;
	blanks(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return 0;
	}
	for (;;) {
		blanks(j);
		if (value(j, depth + 1, 0) < 0)
			return -1;
		blanks(j);
		if (j->p == j->end)
			return -1;
		if (*j->p == ']') {
			j->p++;
			return 0;
		}
		if (*j->p++ != ',')
			return -1;
	}
}

static int value(struct json *j, int depth, int where)
{
	if (depth > JSON_DEPTH_MAX || j->p == j->end)
		return -1;
	const char *s;
	size_t n;
	double d;
	switch (*j->p) {
	case '{':
		return object(j, depth, where);
	case '[':
		return array(j, depth);
	case '"':
		return string(j, &s, &n);
	case 't':
	case 'f':
	case 'n': {
		static const char *const words[] = {"true", "false", "null"};
		for (size_t i = 0; i < 3; i++) {
			size_t k = strlen(words[i]);
			if ((size_t)(j->end - j->p) >= k && !memcmp(j->p, words[i], k)) {
				j->p += k;
				return 0;
			}
		}
		return -1;
	}
	default:
		return number(j, &d);
	}
}

int smtp_rspamd_parse(const char *json, size_t len, struct smtp_rspamd_reply *r)
{
	memset(r, 0, sizeof *r);
	struct json j = {json, json + len, r, 0};
	blanks(&j);
	if (j.p == j.end || *j.p != '{' || object(&j, 1, 1) < 0)
		return -1;
	blanks(&j);
	return j.p == j.end && j.has_action ? 0 : -1;
}

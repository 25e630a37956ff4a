/* Addresses (RFC 5321 4.1.2 Mailbox, with RFC 6531's UTF-8): syntax and the
 * one canonical form stored and compared everywhere. Pure: no SQL. */
#include <stdio.h>
#include <string.h>

#include "store.h"

static int is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static char lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : (char)c; }

/* RFC 5322 atext, and any octet of a UTF-8 sequence (RFC 6531 3.3). */
static int is_atext(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || c >= 0x80 || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* Length of a Dot-string at s (atoms joined by single dots), 0 if none. */
static size_t dot_string(const char *s, size_t max)
{
	size_t i = 0;
	for (;;) {
		size_t start = i;
		while (i < max && is_atext((unsigned char)s[i]))
			i++;
		if (i == start)
			return 0; /* empty atom: leading, trailing or double dot */
		if (i == max || s[i] != '.')
			return i;
		i++;
	}
}

/* Length of a Quoted-string at s, quotes included, 0 if none; its content,
 * unescaped, goes to out (at most STORE_LOCAL_MAX octets, else 0). */
static size_t quoted_string(const char *s, char *out, size_t *out_len)
{
	size_t i = 1, n = 0;
	if (s[0] != '"')
		return 0;
	for (;; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"')
			break;
		if (c == '\\') { /* quoted-pairSMTP: a backslash and one printable octet */
			c = (unsigned char)s[++i];
			if (c < 32 || c > 126)
				return 0;
		} else if (c < 32 || c == 127) {
			return 0; /* controls, and the NUL of an unterminated string */
		}
		if (n == STORE_LOCAL_MAX)
			return 0;
		out[n++] = (char)c;
	}
	*out_len = n;
	return i + 1;
}

/* Length of a Domain or address literal at s, 0 if none. */
static size_t domain(const char *s)
{
	size_t i = 0;
	if (s[0] == '[') { /* RFC 5321 4.1.3: dtext between brackets */
		for (i = 1; s[i] && s[i] != ']'; i++)
			if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126 || s[i] == '[' || s[i] == '\\')
				return 0;
		return s[i] == ']' && i > 1 ? i + 1 : 0;
	}
	for (;;) { /* sub-domain: Let-dig [Ldh-str], or a U-label */
		size_t start = i;
		while (is_alpha((unsigned char)s[i]) || is_digit((unsigned char)s[i]) || s[i] == '-' ||
		       (unsigned char)s[i] >= 0x80)
			i++;
		if (i == start || s[start] == '-' || s[i - 1] == '-' || i - start > 63)
			return 0;
		if (s[i] != '.')
			return i;
		i++;
	}
}

/* The local part at the start of in: its length in the input, and its
 * canonical form in out (as a dot-string where it can be one). 0 if none. */
static size_t local_part(const char *in, char out[STORE_LOCAL_MAX * 2 + 3], size_t *out_len)
{
	size_t n = dot_string(in, strlen(in));
	if (n) {
		if (n > STORE_LOCAL_MAX)
			return 0;
		for (size_t i = 0; i < n; i++)
			out[i] = lower((unsigned char)in[i]);
		*out_len = n;
		return n;
	}
	char content[STORE_LOCAL_MAX];
	size_t len;
	if (!(n = quoted_string(in, content, &len)))
		return 0;
	/* RFC 5321 4.1.2: a quoted string that can be a dot-string is one. */
	if (len && dot_string(content, len) == len) {
		for (size_t i = 0; i < len; i++)
			out[i] = lower((unsigned char)content[i]);
		*out_len = len;
		return n;
	}
	size_t o = 0;
	out[o++] = '"';
	for (size_t i = 0; i < len; i++) {
		if (content[i] == '"' || content[i] == '\\')
			out[o++] = '\\';
		out[o++] = lower((unsigned char)content[i]);
	}
	out[o++] = '"';
	if (o > STORE_LOCAL_MAX)
		return 0;
	*out_len = o;
	return n;
}

int store_address_qualify(const char *in, const char *default_domain, char out[STORE_ADDRESS_MAX + 1])
{
	char local[STORE_LOCAL_MAX * 2 + 3];
	size_t local_len, n = local_part(in, local, &local_len);
	if (!n)
		return -1;
	const char *dom = in + n;
	if (*dom == '@')
		dom++;
	else if (*dom == '\0' && default_domain)
		dom = default_domain;
	else
		return -1;
	size_t dom_len = domain(dom);
	if (!dom_len || dom[dom_len] != '\0' || dom_len > STORE_DOMAIN_MAX ||
	    local_len + 1 + dom_len > STORE_ADDRESS_MAX)
		return -1;
	memcpy(out, local, local_len);
	out[local_len] = '@';
	for (size_t i = 0; i <= dom_len; i++)
		out[local_len + 1 + i] = lower((unsigned char)dom[i]);
	return 0;
}

int store_address_canonical(const char *in, char out[STORE_ADDRESS_MAX + 1])
{
	return store_address_qualify(in, NULL, out);
}

int store_domain_canonical(const char *in, char out[STORE_DOMAIN_MAX + 1])
{
	size_t n = domain(in);
	if (!n || in[n] != '\0' || n > STORE_DOMAIN_MAX || in[0] == '[')
		return -1;
	for (size_t i = 0; i <= n; i++)
		out[i] = lower((unsigned char)in[i]);
	return 0;
}

const char *store_address_domain(const char *canonical)
{
	const char *at = strrchr(canonical, '@');
	return at ? at + 1 : canonical + strlen(canonical);
}

const char *store_login_name(const char *user, const char *default_domain, char buf[STORE_ADDRESS_MAX + 2])
{
	if (strchr(user, '@') || !default_domain ||
	    snprintf(buf, STORE_ADDRESS_MAX + 2, "%s@%s", user, default_domain) >= STORE_ADDRESS_MAX + 2)
		return user;
	return buf;
}

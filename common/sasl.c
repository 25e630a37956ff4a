#include <string.h>
#include <strings.h>

#include "base64.h"
#include "sasl.h"

long sasl_decode(const char *line, unsigned char *out)
{
	long n = strcmp(line, "=") ? base64_decode(line, strlen(line), out) : 0;
	if (n >= 0)
		out[n] = '\0';
	return n;
}

int sasl_plain(unsigned char *buf, size_t n, const char **user, const char **password)
{
	const char *authzid = (const char *)buf;
	const char *end = (const char *)buf + n;
	const char *authcid = memchr(buf, '\0', n);
	const char *passwd = authcid ? memchr(authcid + 1, '\0', (size_t)(end - authcid - 1)) : NULL;
	if (!passwd || memchr(passwd + 1, '\0', (size_t)(end - passwd - 1)))
		return -1;
	authcid++;
	*user = *authzid && strcasecmp(authzid, authcid) ? "" : authcid;
	*password = passwd + 1;
	return 0;
}

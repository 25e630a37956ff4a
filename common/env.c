#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "env.h"

const char *env_str(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

unsigned long env_ulong(const char *name, unsigned long dflt)
{
	const char *v = getenv(name);
	char *end;
	if (!v || *v < '0' || *v > '9')
		return dflt;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	return errno || *end ? dflt : n;
}

int env_flag(const char *name)
{
	const char *v = getenv(name);
	return v && (!strcmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on"));
}

/* The agent's settings: INETMAIL_RELAY_* (README, inetmail-relay(8)). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "env.h"
#include "relay.h"

#define DEFAULT_SUBMISSION_PORT 587 /* RFC 6409 */
#define IMPLICIT_TLS_PORT 465       /* RFC 8314 */
#define SMTP_PORT 25

/* "user:password" on the file's first line (as Postfix's sasl_passwd has it,
 * without the host); an empty file, or "none" (the unit's default), is no credentials. */
static int read_credentials(struct relay_config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char line[2 * RELAY_CREDENTIAL_MAX + 4];
	if (!f) {
		snprintf(err, errlen, "INETMAIL_RELAY_AUTH_FILE %s: %s", path, strerror(errno));
		return -1;
	}
	int ok = fgets(line, sizeof line, f) != NULL;
	fclose(f);
	if (!ok)
		return 0;
	line[strcspn(line, "\r\n")] = 0;
	if (!line[0] || !strcmp(line, "none"))
		return 0;
	char *colon = strchr(line, ':');
	int rc = -1;
	if (!colon || colon == line || colon - line > RELAY_CREDENTIAL_MAX || strlen(colon + 1) > RELAY_CREDENTIAL_MAX)
		snprintf(err, errlen, "INETMAIL_RELAY_AUTH_FILE %s: its first line is not user:password", path);
	else {
		snprintf(cfg->user, sizeof cfg->user, "%.*s", (int)(colon - line), line);
		snprintf(cfg->password, sizeof cfg->password, "%s", colon + 1);
		cfg->auth = 1;
		rc = 0;
	}
	explicit_bzero(line, sizeof line);
	return rc;
}

/* host, host:port, [address]:port */
static int parse_host(struct relay_config *cfg, const char *v, char *err, size_t errlen)
{
	const char *end = v[0] == '[' ? strchr(v, ']') : strrchr(v, ':');
	const char *name = v[0] == '[' ? v + 1 : v;
	size_t len = end ? (size_t)(end - name) : strlen(v);
	const char *port = end ? (v[0] == '[' ? (end[1] == ':' ? end + 2 : NULL) : end + 1) : NULL;
	if (v[0] == '[' && !end) {
		snprintf(err, errlen, "INETMAIL_RELAY_HOST=%s: no closing ]", v);
		return -1;
	}
	if (!len || len >= sizeof cfg->host) {
		snprintf(err, errlen, "INETMAIL_RELAY_HOST=%s: no host name", v);
		return -1;
	}
	snprintf(cfg->host, sizeof cfg->host, "%.*s", (int)len, name);
	cfg->port = DEFAULT_SUBMISSION_PORT;
	if (port) {
		char *e;
		unsigned long p = strtoul(port, &e, 10);
		if (!*port || *e || p == 0 || p > 65535) {
			snprintf(err, errlen, "INETMAIL_RELAY_HOST=%s: not a port number", v);
			return -1;
		}
		cfg->port = (unsigned)p;
	}
	cfg->implicit_tls = cfg->port == IMPLICIT_TLS_PORT;
	return 0;
}

int relay_config_load(struct relay_config *cfg, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof *cfg);
	const char *mode = env_str("INETMAIL_RELAY", "off");
	if (!strcmp(mode, "smarthost")) {
		cfg->mode = RELAY_SMARTHOST;
		const char *host = env_str("INETMAIL_RELAY_HOST", NULL);
		if (!host) {
			snprintf(err, errlen, "INETMAIL_RELAY=smarthost needs INETMAIL_RELAY_HOST");
			return -1;
		}
		if (parse_host(cfg, host, err, errlen) < 0)
			return -1;
	} else if (!strcmp(mode, "mx")) {
		cfg->mode = RELAY_MX;
		cfg->port = SMTP_PORT;
	} else {
		snprintf(err, errlen, "INETMAIL_RELAY=%s: the agent needs smarthost or mx", mode);
		return -1;
	}
	const char *tls = env_str("INETMAIL_RELAY_TLS", cfg->mode == RELAY_SMARTHOST ? "verify" : "may");
	static const char *const levels[] = {"none", "may", "encrypt", "verify"};
	cfg->tls = (enum relay_tls)-1;
	for (int i = 0; i < 4; i++)
		if (!strcasecmp(tls, levels[i]))
			cfg->tls = (enum relay_tls)i;
	if ((int)cfg->tls < 0) {
		snprintf(err, errlen, "INETMAIL_RELAY_TLS=%s: none of none, may, encrypt, verify", tls);
		return -1;
	}
	if (cfg->implicit_tls && cfg->tls == RELAY_TLS_NONE) {
		snprintf(err, errlen, "INETMAIL_RELAY_HOST port 465 is TLS: INETMAIL_RELAY_TLS=none contradicts it");
		return -1;
	}
	cfg->ca_file = env_str("INETMAIL_RELAY_CA", NULL);
	const char *auth = env_str("INETMAIL_RELAY_AUTH_FILE", NULL);
	if (auth && read_credentials(cfg, auth, err, errlen) < 0)
		return -1;
	cfg->helo = store_hostname();
	cfg->lease = RELAY_LEASE_S;
	cfg->retry_first = (unsigned)env_ulong("INETMAIL_RELAY_RETRY", RELAY_RETRY_FIRST_S);
	if (!cfg->retry_first)
		cfg->retry_first = 1;
	cfg->max_age = env_ulong("INETMAIL_RELAY_MAX_AGE", RELAY_MAX_AGE_S);
	return 0;
}

#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "dkimkey.h"
#include "env.h"

const char *dkimkey_dir(void)
{
	return env_str("INETMAIL_DKIM_DIR", SYSCONFDIR "/inetmail/dkim");
}

int dkimkey_selector_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > DKIM_SELECTOR_MAX || s[0] == '-' || s[n - 1] == '-')
		return -1;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return -1;
	return 0;
}

int dkimkey_path(const char *dir, const char *selector, const char *domain, char path[DKIM_PATH_MAX])
{
	int n = snprintf(path, DKIM_PATH_MAX, "%s/%s._domainkey.%s.key", dir, selector, domain);
	return n > 0 && n < DKIM_PATH_MAX ? 0 : -1;
}

int dkimkey_find(const char *dir, const char *domain, char selector[DKIM_SELECTOR_MAX + 1], char path[DKIM_PATH_MAX])
{
	char suffix[DKIM_PATH_MAX];
	snprintf(suffix, sizeof suffix, "._domainkey.%s.key", domain);
	size_t sl = strlen(suffix);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	struct timespec newest = {0};
	int found = 0;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n <= sl || strcasecmp(e->d_name + n - sl, suffix))
			continue;
		const char *start = e->d_name;
		for (const char *p = e->d_name; p < e->d_name + n - sl; p++)
			if (*p == '_')
				start = p + 1;
		char sel[DKIM_SELECTOR_MAX + 1], full[DKIM_PATH_MAX];
		size_t len = (size_t)(e->d_name + n - sl - start);
		struct stat st;
		if (len > DKIM_SELECTOR_MAX || snprintf(full, sizeof full, "%s/%s", dir, e->d_name) >= (int)sizeof full ||
		    stat(full, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		memcpy(sel, start, len);
		sel[len] = 0;
		if (dkimkey_selector_valid(sel) < 0)
			continue;
		if (!found || st.st_mtim.tv_sec > newest.tv_sec ||
		    (st.st_mtim.tv_sec == newest.tv_sec && st.st_mtim.tv_nsec > newest.tv_nsec)) {
			newest = st.st_mtim;
			memcpy(selector, sel, len + 1);
			memcpy(path, full, strlen(full) + 1);
			found = 1;
		}
	}
	closedir(d);
	return found;
}

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ip.h"

int ip_parse(const char *text, struct ip *ip)
{
	if (text && inet_pton(AF_INET, text, ip->addr) == 1) {
		ip->family = AF_INET;
		return 0;
	}
	if (!text || inet_pton(AF_INET6, text, ip->addr) != 1)
		return -1;
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (!memcmp(ip->addr, mapped, sizeof mapped)) {
		memmove(ip->addr, ip->addr + 12, 4);
		ip->family = AF_INET;
	} else {
		ip->family = AF_INET6;
	}
	return 0;
}

/* Whether a and b share their first bits. */
static int same_prefix(const unsigned char *a, const unsigned char *b, int bits)
{
	return !memcmp(a, b, (size_t)bits / 8) &&
	       (bits % 8 == 0 || !((a[bits / 8] ^ b[bits / 8]) & (0xff << (8 - bits % 8))));
}

int ip_in_list(const struct ip *ip, const char *list)
{
	char item[IP_TEXT_MAX];
	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, " \t,");
		if (len && len < sizeof item) {
			memcpy(item, p, len);
			item[len] = '\0';
			char *slash = strchr(item, '/');
			struct ip net;
			if (slash)
				*slash = '\0';
			int max = ip->family == AF_INET ? 32 : 128, bits = max;
			char *end = NULL;
			if (slash)
				bits = (int)strtol(slash + 1, &end, 10);
			/* a broken prefix ("10.0.0.0/", "/x") is no entry, not /0 (every address) */
			if ((!slash || (end > slash + 1 && !*end)) && ip_parse(item, &net) == 0 && net.family == ip->family) {
				if (bits >= 0 && bits <= max && same_prefix(ip->addr, net.addr, bits))
					return 1;
			}
		}
		p += len;
		p += strspn(p, " \t,");
	}
	return 0;
}

void ip_network(const struct ip *ip, int v4_bits, int v6_bits, char out[IP_TEXT_MAX])
{
	int max = ip->family == AF_INET ? 32 : 128, bits = ip->family == AF_INET ? v4_bits : v6_bits;
	unsigned char net[16] = {0};
	memcpy(net, ip->addr, (size_t)bits / 8);
	if (bits % 8)
		net[bits / 8] = ip->addr[bits / 8] & (0xff << (8 - bits % 8));
	inet_ntop(ip->family, net, out, IP_TEXT_MAX);
	size_t len = strlen(out); /* at most 45 (INET6_ADDRSTRLEN - 1): "/128" fits */
	if (bits < max)
		snprintf(out + len, IP_TEXT_MAX - len, "/%d", bits);
}

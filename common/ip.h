/* Client addresses as the per-client features see them (the login penalty,
 * greylisting, DNS blocklists, SPF): parsed, matched against lists, grouped
 * into networks. Pure. */
#ifndef INETMAIL_IP_H
#define INETMAIL_IP_H

#define IP_TEXT_MAX 64 /* an address or network as text, "/64" included */

struct ip {
	unsigned char addr[16]; /* network order; IPv4 in the first 4 */
	int family;             /* AF_INET or AF_INET6 */
};

/* An address; IPv4-mapped IPv6 counts as the IPv4 it maps. 0, or -1. */
int ip_parse(const char *text, struct ip *);
/* Whether the address is in one of the "address[/bits]" of list (space, tab or comma separated). */
int ip_in_list(const struct ip *, const char *list);
/* The address's network of v4_bits or v6_bits as text ("192.0.2.0/24",
 * "2001:db8::/64"; the bare address when bits are the whole address). */
void ip_network(const struct ip *, int v4_bits, int v6_bits, char out[IP_TEXT_MAX]);

#endif

/* Header field values shared by bounces and the SMTP handler. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "header.h"
#include "internal.h"

void store_header_date(char *out, size_t n, time_t t)
{
	struct tm tm;
	localtime_r(&t, &tm);
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	long off = tm.tm_gmtoff / 60;
	snprintf(out, n, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld", days[tm.tm_wday], tm.tm_mday,
	         months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
}

void store_header_message_id(char *out, size_t n, const char *hostname)
{
	char id[33];
	store_random_hex(id, 16);
	snprintf(out, n, "<%s@%s>", id, hostname);
}

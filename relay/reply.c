#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reply.h"

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

int relay_reply_line(struct relay_reply *r, const char *line)
{
	if (!digit(line[0]) || !digit(line[1]) || !digit(line[2]) || (line[3] && line[3] != ' ' && line[3] != '-'))
		return -1;
	int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (code < 200 || code > 599)
		return -1;
	if (r->lines == 0) {
		snprintf(r->text, sizeof r->text, "%.3s", line);
	} else if (strncmp(r->text, line, 3)) {
		return -1;
	} else {
		size_t n = strlen(r->text);
		snprintf(r->text + n, sizeof r->text - n, " /");
	}
	size_t n = strlen(r->text);
	if (line[3] && line[4])
		snprintf(r->text + n, sizeof r->text - n, " %s", line + 4);
	r->lines++;
	if (line[3] == '-')
		return 0;
	r->code = code;
	return 1;
}

void relay_reply_status(const struct relay_reply *r, char status[16])
{
	/* "250 2.1.5 text": the enhanced code follows the reply code, its class first */
	const char *p = r->text + 3;
	if (*p == ' ')
		p++;
	int a, b, c, len = 0;
	if (sscanf(p, "%1d.%3d.%3d%n", &a, &b, &c, &len) == 3 && a == r->code / 100 && (p[len] == ' ' || !p[len])) {
		snprintf(status, 16, "%d.%d.%d", a, b, c);
		return;
	}
	snprintf(status, 16, "%d.0.0", r->code / 100);
}

void relay_ehlo_offer_line(struct ehlo_offer *o, const char *l)
{
	size_t kw = strcspn(l, " =");
	if (kw == 10 && !strncasecmp(l, "PIPELINING", kw))
		o->pipelining = 1;
	else if (kw == 8 && !strncasecmp(l, "STARTTLS", kw))
		o->starttls = 1;
	else if (kw == 8 && !strncasecmp(l, "8BITMIME", kw))
		o->eightbitmime = 1;
	else if (kw == 8 && !strncasecmp(l, "SMTPUTF8", kw))
		o->smtputf8 = 1;
	else if (kw == 4 && !strncasecmp(l, "SIZE", kw) && l[kw])
		o->size = strtoull(l + kw + 1, NULL, 10);
	else if (kw == 4 && !strncasecmp(l, "AUTH", kw)) {
		for (const char *p = l + kw; *p;) {
			p += strspn(p, " =");
			size_t n = strcspn(p, " ");
			if (n == 5 && !strncasecmp(p, "PLAIN", n))
				o->auth_plain = 1;
			if (n == 5 && !strncasecmp(p, "LOGIN", n))
				o->auth_login = 1;
			p += n;
		}
	}
}

enum relay_reply_class relay_reply_class(int code)
{
	return code >= 200 && code < 400 ? REPLY_OK : code >= 500 ? REPLY_PERM : REPLY_TEMP;
}

/* Decimal numbers from the outside (a POP3 argument, a mailctl argument),
 * by one rule: digits only, no sign, no leading zero, at most max. */
#ifndef INETMAIL_NUMBER_H
#define INETMAIL_NUMBER_H

#include <stdint.h>

int number_parse(const char *s, uint64_t max, uint64_t *out); /* 0, or -1 */
/* The same of the number at *p (before end), *p moved past it: a field of a line our own code wrote. */
int number_take(const char **p, const char *end, uint64_t max, uint64_t *out);

#endif

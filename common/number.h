/* Decimal numbers from the outside (a POP3 argument, a mailctl argument),
 * by one rule: digits only, no sign, no leading zero, at most max. */
#ifndef INETMAIL_NUMBER_H
#define INETMAIL_NUMBER_H

#include <stdint.h>

int number_parse(const char *s, uint64_t max, uint64_t *out); /* 0, or -1 */

#endif

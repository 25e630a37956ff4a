/* The one clock for timeouts and leases: CLOCK_MONOTONIC, never set back. */
#ifndef INETMAIL_CLOCK_H
#define INETMAIL_CLOCK_H

long clock_ms(void);

#endif

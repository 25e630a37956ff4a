/* Settings: every one an INETMAIL_* environment variable (README, man pages). */
#ifndef INETMAIL_ENV_H
#define INETMAIL_ENV_H

const char *env_str(const char *name, const char *dflt);  /* unset or empty: dflt */
unsigned long env_ulong(const char *name, unsigned long dflt); /* not a number: dflt */
int env_flag(const char *name);                            /* "1", "yes", "true", "on" */

#endif

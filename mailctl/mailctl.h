/* mailctl commands: each takes its arguments after the command word. */
#ifndef INETMAIL_MAILCTL_H
#define INETMAIL_MAILCTL_H

#include "store.h"

/* sysexits(3) codes, which scripts around mailctl can rely on */
enum {
	EXIT_USAGE = 64,    /* wrong arguments */
	EXIT_DATAERR = 65,  /* a bad address, password or number; the account exists already */
	EXIT_NOUSER = 67,   /* no such account */
	EXIT_SOFTWARE = 70, /* out of memory or a broken SQL file */
	EXIT_TEMPFAIL = 75, /* the database is unreachable or busy: try again */
};

struct mailctl {
	struct store *store;
	const char *scheme; /* password hashing scheme for add and passwd */
};

int cmd_add(struct mailctl *, int argc, char **argv);
int cmd_passwd(struct mailctl *, int argc, char **argv);
int cmd_del(struct mailctl *, int argc, char **argv);
int cmd_enable(struct mailctl *, int argc, char **argv);
int cmd_disable(struct mailctl *, int argc, char **argv);
int cmd_quota(struct mailctl *, int argc, char **argv);
int cmd_list(struct mailctl *, int argc, char **argv);
int cmd_gc(struct mailctl *, int argc, char **argv);
int cmd_migrate(struct mailctl *, int argc, char **argv);

#endif

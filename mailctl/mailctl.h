/* mailctl commands: each takes its arguments after the command word. */
#ifndef INETMAIL_MAILCTL_H
#define INETMAIL_MAILCTL_H

#include "number.h"
#include "store_admin.h"

/* sysexits(3) codes, which scripts around mailctl can rely on */
enum {
	EXIT_USAGE = 64,    /* wrong arguments */
	EXIT_DATAERR = 65,  /* a bad address, password or number; the account exists already */
	EXIT_NOUSER = 67,   /* no such account */
	EXIT_SOFTWARE = 70, /* out of memory or a broken SQL file */
	EXIT_CANTCREAT = 73, /* a file that must be new exists, or cannot be written */
	EXIT_TEMPFAIL = 75, /* the database is unreachable or busy: try again */
};

struct mailctl {
	struct store *store;
	const char *scheme; /* password hashing scheme for add and passwd */
};

/* Shared by the commands (commands.c). */
int mailctl_report(struct mailctl *, enum store_result, const char *what); /* a message, and the exit status */
/* The same for a change, and on success one line saying what changed: "WHAT: DONE". */
int mailctl_report_change(struct mailctl *, enum store_result, const char *what, const char *done);
int mailctl_valid_address(const char *address);                            /* says so when not */
int mailctl_add_account(struct mailctl *, const char *address, const char *hash);

/* A message on its way in (import.c): octets from a file, LF made CRLF. */
#define IMPORT_CHUNK (64 * 1024) /* octets read, and handed to the store, at a time */
struct import {
	struct store_delivery *d;
	char buf[IMPORT_CHUNK]; /* converted, not yet handed to the store */
	size_t len;
	int last_cr;            /* the last octet put was a CR */
	enum store_result failed;
	void *digest;           /* an EVP_MD_CTX when the UIDL comes from the content, else NULL */
	char in[IMPORT_CHUNK];  /* for reading */
};
/* uidl NULL: one made of the message's content, so that importing it again
 * finds it there (mailctl_import_end says STORE_PERMFAIL then, and stores nothing). */
int mailctl_import_begin(struct mailctl *, struct import *, const char *address, const char *uidl);
void mailctl_import_put(struct import *, const char *p, size_t n);
enum store_result mailctl_import_end(struct import *); /* commits */
/* Says why an import stopped (why, else the store's error); the exit status. */
int mailctl_import_failed(struct mailctl *, enum store_result, const char *what, const char *why, unsigned imported);

/* The account an import goes to, with the UIDLs it has (sorted). */
struct mailbox {
	uint64_t id;
	char address[STORE_ADDRESS_MAX + 1];
	struct uidl_set {
		char (*uidl)[STORE_UIDL_MAX + 1];
		size_t n, cap;
	} have;
};
int mailctl_mailbox_open(struct mailctl *, const char *address, struct mailbox *); /* 0, or the exit status */
int mailctl_mailbox_has(const struct mailbox *, const char *uidl);
void mailctl_mailbox_close(struct mailbox *);

int mailctl_add(struct mailctl *, int argc, char **argv);
int mailctl_passwd(struct mailctl *, int argc, char **argv);
int mailctl_del(struct mailctl *, int argc, char **argv);
int mailctl_enable(struct mailctl *, int argc, char **argv);
int mailctl_disable(struct mailctl *, int argc, char **argv);
int mailctl_quota(struct mailctl *, int argc, char **argv);
int mailctl_list(struct mailctl *, int argc, char **argv);
int mailctl_gc(struct mailctl *, int argc, char **argv);
int mailctl_queue(struct mailctl *, int argc, char **argv);
int mailctl_penalty(struct mailctl *, int argc, char **argv);
int mailctl_dkim(struct mailctl *, int argc, char **argv);
int mailctl_migrate(struct mailctl *, int argc, char **argv);
int mailctl_domain(struct mailctl *, int argc, char **argv);
int mailctl_alias(struct mailctl *, int argc, char **argv);
int mailctl_import_accounts(struct mailctl *, int argc, char **argv);
int mailctl_import_maildir(struct mailctl *, int argc, char **argv);
int mailctl_import_mbox(struct mailctl *, int argc, char **argv);
int mailctl_export(struct mailctl *, int argc, char **argv);

#endif

/* Connection, prepared statements, transactions with retry. */
#define _GNU_SOURCE
#include <errmsg.h>
#include <errno.h>
#include <mysqld_error.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "tls.h"

#pragma weak mysql_port /* not exported by the shared libmariadb */

#define DEFAULT_MYCNF SYSCONFDIR "/inetmail/my.cnf"
#define DEFAULT_GROUPS "inetmail" /* INETMAIL_DB_GROUPS: option-file groups, one per node */
#define DB_GROUPS_MAX 16      /* nodes to fail over between; more is a configuration error */
#define CONNECT_TIMEOUT_S 5   /* a database that does not answer in 5 s is down: say 4xx */
#define FAILOVER_CONNECT_TIMEOUT_S 1 /* with another node to try, a silent one is given up fast */
#define IO_TIMEOUT_S 30       /* longer than any statement we issue; bounds every read */
#define RETRY_BASE_US 5000    /* first back-off after a deadlock; doubles each try */
#define ER_WSREP_NOT_READY 1047 /* Galera node not synced: "unknown command" */

static const char *const query_sql[Q_COUNT] = {
#define QUERY_SQL(name, scan, sql) sql,
	STORE_QUERIES(QUERY_SQL)
#undef QUERY_SQL
};

const char *store_query_sql(enum query_id q) { return query_sql[q]; }

struct store *store_open(void)
{
	struct store *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	/* Each process starts at a node of its own, so the load spreads. */
	if (getrandom(&s->next_group, sizeof s->next_group, 0) != sizeof s->next_group)
		s->next_group = (unsigned)getpid();
	store_new_owner(s);
	return s;
}

void store_new_owner(struct store *s)
{
	char token[17];
	store_random_hex(token, 8);
	char host[32] = "";
	gethostname(host, sizeof host - 1);
	snprintf(s->owner, sizeof s->owner, "%.31s:%ld:%s", host, (long)getpid(), token);
}

static void disconnect(struct store *s)
{
	/* The connection first: its end frees the statements on the server, so
	 * closing them afterwards frees only memory instead of sending a packet each. */
	if (s->db)
		mysql_close(s->db);
	for (int i = 0; i < Q_COUNT; i++)
		if (s->stmt[i]) {
			mysql_stmt_close(s->stmt[i]);
			s->stmt[i] = NULL;
		}
	if (s->connecting.db)
		mysql_close(s->connecting.db);
	s->db = s->connecting.db = NULL;
	s->bound = NULL;
	s->connecting.unchecked = s->connecting.failed = false;
	s->causal = false; /* a session setting, gone with the session */
}

void store_close(struct store *s)
{
	if (!s)
		return;
	disconnect(s);
	store_close(s->keeper);
	store_rest(s);
	free(s);
}

void store_rest(struct store *s)
{
	free(s->chunk);
	free(s->ahead.buf);
	s->chunk = NULL;
	s->ahead = (struct read_ahead){0};
}

const char *store_error(const struct store *s) { return s->err; }

const char *store_result_name(enum store_result r)
{
	static const char *const names[] = {"ok", "tempfail", "permfail", "not found",
	                                    "denied", "in use", "over quota", "unknown",
	                                    "not local"};
	return r < sizeof names / sizeof *names ? names[r] : "?";
}

void store_fail(struct store *s, unsigned err_no, const char *msg)
{
	s->err_no = err_no;
	snprintf(s->err, sizeof s->err, "%u: %s", err_no, msg);
}

void store_refuse(struct store *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	s->err_no = 0;
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
}

static bool connection_lost(unsigned e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == CR_CONN_HOST_ERROR ||
	       e == CR_CONNECTION_ERROR || e == CR_SERVER_LOST_EXTENDED || e == CR_COMMANDS_OUT_OF_SYNC;
}

/* Deadlocks, lock-wait timeouts and Galera certification failures (1213 at
 * COMMIT) end in a rollback: the whole transaction can run again. */
static bool retryable(unsigned e)
{
	return e == ER_LOCK_DEADLOCK || e == ER_LOCK_WAIT_TIMEOUT;
}

/* A node that answers but is not synced is no node to use (a Galera node
 * joining, donating or cut off; any other server has no such state). */
static bool node_ready(struct store *s)
{
	char name[64], value[64];
	bool ready = true;
	MYSQL_STMT *st = store_q_exec(s, Q_NODE_STATE, "");
	int rc = -1;
	while (st && (rc = store_q_fetch(s, st, "ss", name, sizeof name, value, sizeof value)) > 0)
		ready = ready && (!strcasecmp(name, "wsrep_ready") ? !strcasecmp(value, "ON") : !strcmp(value, "4"));
	return st && rc == 0 && ready;
}

/* The option-file groups of INETMAIL_DB_GROUPS, one per node: how many. */
static unsigned db_groups(char groups[DB_GROUPS_MAX][DB_GROUP_MAX + 1])
{
	const char *list = getenv("INETMAIL_DB_GROUPS");
	unsigned n = 0;
	for (const char *p = list && *list ? list : DEFAULT_GROUPS; *p && n < DB_GROUPS_MAX;) {
		size_t len = strcspn(p, " \t");
		if (len && len <= DB_GROUP_MAX)
			snprintf(groups[n++], DB_GROUP_MAX + 1, "%.*s", (int)len, p);
		p += len + strspn(p + len, " \t");
	}
	return n;
}

static const char *option_file(void)
{
	const char *cnf = getenv("INETMAIL_MYCNF");
	return cnf && *cnf ? cnf : DEFAULT_MYCNF;
}

/* A handle for one group's node, set up but not connected; NULL with the error recorded. */
static MYSQL *group_handle(struct store *s, const char *group, bool failover)
{
	/* The client library initialises OpenSSL in mysql_init; done first like
	 * this it skips openssl.cnf, the error strings, the legacy cipher and
	 * digest name tables and the clean-up at exit: most of a handler's
	 * start-up. TLS to the database still works (OpenSSL 3 fetches
	 * algorithms from its providers). */
	tls_library_init();
	/* The TCP port when the option file names none. Set, it spares mysql_init
	 * asking NSS for the "mysql" service: in a static binary, nscd, dozens of
	 * failed dlopen paths and /etc/services in every process. Only the static
	 * library has the variable: mailctl's shared one keeps the lookup. */
	if (&mysql_port && !mysql_port)
		mysql_port = MYSQL_PORT;
	MYSQL *db = mysql_init(NULL);
	if (!db) {
		store_fail(s, CR_OUT_OF_MEMORY, "mysql_init failed");
		return NULL;
	}
	/* The group's own connect-timeout, read at connect, overrides this. */
	unsigned connect_timeout = failover ? FAILOVER_CONNECT_TIMEOUT_S : CONNECT_TIMEOUT_S;
	unsigned io_timeout = IO_TIMEOUT_S;
	mysql_options(db, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
	mysql_options(db, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
	mysql_options(db, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
	mysql_options(db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* READ COMMITTED: no gap locks between deliveries and deletions. */
	mysql_options(db, MYSQL_INIT_COMMAND,
	              "SET SESSION autocommit = 0, tx_isolation = 'READ-COMMITTED'");
	mysql_options(db, MYSQL_READ_DEFAULT_FILE, option_file());
	mysql_options(db, MYSQL_READ_DEFAULT_GROUP, group);
	return db;
}

/* A connect that did not succeed: its error, under the option file's and the group's names. */
static void connect_failed(struct store *s, MYSQL *db, const char *group)
{
	char msg[400];
	if (access(option_file(), R_OK) < 0)
		snprintf(msg, sizeof msg, "cannot read the option file %s (%s; INETMAIL_MYCNF names it): %s", option_file(),
		         strerror(errno), mysql_error(db));
	else
		snprintf(msg, sizeof msg, "%s [%s]: %s", option_file(), group, mysql_error(db));
	store_fail(s, mysql_errno(db), msg);
	mysql_close(db);
}

/* One node: the option-file group's connection, or NULL with the error recorded. */
static MYSQL *connect_group(struct store *s, const char *group, bool failover)
{
	MYSQL *db = group_handle(s, group, failover);
	if (db && !mysql_real_connect(db, NULL, NULL, NULL, NULL, 0, NULL, 0)) {
		connect_failed(s, db, group);
		return NULL;
	}
	return db;
}

/* Where a started connect is once the client library returns: done (it is
 * s->db, or it failed and counts as the first node tried) or waiting. */
static void connect_went_on(struct store *s, int status, MYSQL *ret)
{
	s->connecting.wait = status;
	if (status)
		return;
	if (ret) {
		s->db = s->connecting.db;
		s->connecting.unchecked = true;
	} else {
		connect_failed(s, s->connecting.db, s->connecting.group);
		s->connecting.failed = true;
	}
	s->connecting.db = NULL;
}

void store_connect_start(void *store)
{
	struct store *s = store;
	char groups[DB_GROUPS_MAX][DB_GROUP_MAX + 1];
	unsigned n = db_groups(groups);
	if (s->db || s->connecting.db || !n) /* nothing to do; or store_connect says why not */
		return;
	const char *group = groups[s->next_group % n];
	MYSQL *db = group_handle(s, group, n > 1), *ret = NULL;
	if (!db || mysql_options(db, MYSQL_OPT_NONBLOCK, 0)) {
		if (db)
			mysql_close(db);
		return; /* store_connect will connect the usual way */
	}
	s->connecting.db = db;
	snprintf(s->connecting.group, sizeof s->connecting.group, "%s", group);
	int status = mysql_real_connect_start(&ret, db, NULL, NULL, NULL, NULL, 0, NULL, 0);
	connect_went_on(s, status, ret);
}

int store_pending_fd(void *store, short *events, int *timeout_ms)
{
	struct store *s = store;
	if (!s->connecting.db)
		return -1;
	int wait = s->connecting.wait;
	*events = (short)((wait & MYSQL_WAIT_READ ? POLLIN : 0) | (wait & MYSQL_WAIT_WRITE ? POLLOUT : 0) |
	                  (wait & MYSQL_WAIT_EXCEPT ? POLLPRI : 0));
	*timeout_ms = wait & MYSQL_WAIT_TIMEOUT ? (int)mysql_get_timeout_value_ms(s->connecting.db) : -1;
	return mysql_get_socket(s->connecting.db);
}

void store_pending_step(void *store, short revents)
{
	struct store *s = store;
	if (!s->connecting.db)
		return;
	int happened = revents ? (revents & (POLLIN | POLLHUP | POLLERR) ? MYSQL_WAIT_READ : 0) |
	                         (revents & (POLLOUT | POLLERR) ? MYSQL_WAIT_WRITE : 0) |
	                         (revents & POLLPRI ? MYSQL_WAIT_EXCEPT : 0)
	                       : MYSQL_WAIT_TIMEOUT;
	MYSQL *ret = NULL;
	int status = mysql_real_connect_cont(&ret, s->connecting.db, happened);
	connect_went_on(s, status, ret);
}

/* A started connect, taken to its end now that a statement needs it. */
static void connect_finish(struct store *s)
{
	short events;
	int timeout_ms, fd;
	while ((fd = store_pending_fd(s, &events, &timeout_ms)) >= 0) {
		struct pollfd p = {.fd = fd, .events = events};
		int rc = poll(&p, 1, timeout_ms);
		if (rc < 0 && errno == EINTR)
			continue;
		store_pending_step(s, rc > 0 ? p.revents : 0);
	}
}

int store_connect(struct store *s)
{
	if (s->db && !s->connecting.unchecked)
		return 0;
	connect_finish(s);
	char groups[DB_GROUPS_MAX][DB_GROUP_MAX + 1];
	unsigned n = db_groups(groups), tried = 0;
	s->connecting.unchecked = false;
	if (s->db && n == 1)
		return 0;
	if (!n) {
		store_fail(s, CR_UNKNOWN_ERROR, "INETMAIL_DB_GROUPS names no option-file group");
		return -1;
	}
	/* A started connect was the first node's try. */
	if (s->db) {
		if (node_ready(s))
			return 0;
		if (s->db)
			store_fail(s, ER_WSREP_NOT_READY, "node not synced");
		disconnect(s);
		s->next_group++;
		tried = 1;
	} else if (s->connecting.failed) {
		s->connecting.failed = false;
		s->next_group++;
		tried = 1;
	}
	/* Each node in turn, from where this process left off; one that refuses,
	 * times out or is not synced gives way to the next. */
	for (unsigned i = tried; i < n; i++) {
		unsigned g = s->next_group % n;
		if ((s->db = connect_group(s, groups[g], n > 1))) {
			if (n == 1 || node_ready(s))
				return 0;
			if (s->db)
				store_fail(s, ER_WSREP_NOT_READY, "node not synced");
			disconnect(s);
		}
		s->next_group = g + 1;
	}
	return -1;
}

/* The node is gone, or not synced: the next connect tries the next one. */
static void node_lost(struct store *s)
{
	disconnect(s);
	s->next_group++;
}

static void stmt_failed(struct store *s, MYSQL_STMT *st)
{
	store_fail(s, mysql_stmt_errno(st), mysql_stmt_error(st));
	if (connection_lost(s->err_no) || s->err_no == ER_WSREP_NOT_READY)
		node_lost(s);
}

/* The statement for a query. A new one is prepared by its first execution
 * (mariadb_stmt_execute_direct: prepare and execute in one round trip), as
 * most statements run once or twice in a session. */
static MYSQL_STMT *statement(struct store *s, enum query_id q, unsigned n_params)
{
	if (store_connect(s) < 0)
		return NULL;
	if (s->stmt[q])
		return s->stmt[q];
	MYSQL_STMT *st = mysql_stmt_init(s->db);
	if (!st) {
		store_fail(s, CR_OUT_OF_MEMORY, "mysql_stmt_init failed");
		return NULL;
	}
	mysql_stmt_attr_set(st, STMT_ATTR_PREBIND_PARAMS, &n_params);
	s->fresh[q] = 1;
	return s->stmt[q] = st;
}

MYSQL_STMT *store_q_exec(struct store *s, enum query_id q, const char *types, ...)
{
	MYSQL_STMT *st = statement(s, q, (unsigned)strlen(types));
	if (!st)
		return NULL;
	s->bound = NULL; /* its result is bound afresh */
	MYSQL_BIND bind[STORE_PARAMS_MAX];
	uint64_t num[STORE_PARAMS_MAX];
	unsigned long len[STORE_PARAMS_MAX];
	my_bool is_null[STORE_PARAMS_MAX];
	memset(bind, 0, sizeof bind);
	va_list ap;
	va_start(ap, types);
	for (size_t i = 0; types[i]; i++) {
		MYSQL_BIND *b = &bind[i];
		is_null[i] = 0;
		b->is_null = &is_null[i];
		switch (types[i]) {
		case 'u':
		case 'n':
			num[i] = va_arg(ap, uint64_t);
			is_null[i] = types[i] == 'n' && num[i] == UINT64_MAX;
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->is_unsigned = 1;
			b->buffer = &num[i];
			break;
		case 's':
			b->buffer = (void *)va_arg(ap, const char *);
			len[i] = strlen(b->buffer);
			b->buffer_type = MYSQL_TYPE_STRING;
			b->buffer_length = len[i];
			b->length = &len[i];
			break;
		case 'b':
			b->buffer = (void *)va_arg(ap, const void *);
			len[i] = va_arg(ap, size_t);
			is_null[i] = b->buffer == NULL;
			b->buffer_type = MYSQL_TYPE_BLOB;
			b->buffer_length = len[i];
			b->length = &len[i];
			break;
		}
	}
	va_end(ap);
	int failed = types[0] && mysql_stmt_bind_param(st, bind);
	if (!failed && s->fresh[q])
		failed = mariadb_stmt_execute_direct(st, query_sql[q], strlen(query_sql[q]));
	else if (!failed)
		failed = mysql_stmt_execute(st);
	if (failed) {
		stmt_failed(s, st);
		if (s->db && s->fresh[q]) { /* never prepared: start afresh next time */
			mysql_stmt_close(st);
			s->stmt[q] = NULL;
		}
		return NULL;
	}
	s->fresh[q] = 0;
	return st;
}

int store_q_fetch(struct store *s, MYSQL_STMT *st, const char *types, ...)
{
	MYSQL_BIND bind[STORE_PARAMS_MAX];
	unsigned long len[STORE_PARAMS_MAX];
	my_bool is_null[STORE_PARAMS_MAX], error[STORE_PARAMS_MAX];
	uint64_t *num[STORE_PARAMS_MAX];
	size_t *blob_len[STORE_PARAMS_MAX], n = strlen(types);
	memset(bind, 0, n * sizeof *bind);
	va_list ap;
	va_start(ap, types);
	for (size_t i = 0; types[i]; i++) {
		MYSQL_BIND *b = &bind[i];
		b->is_null = &is_null[i];
		b->error = &error[i];
		b->length = &len[i];
		switch (types[i]) {
		case 'u':
			num[i] = va_arg(ap, uint64_t *);
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->is_unsigned = 1;
			b->buffer = num[i];
			break;
		case 's':
			b->buffer = va_arg(ap, char *);
			b->buffer_length = va_arg(ap, size_t) - 1; /* room for the NUL */
			b->buffer_type = MYSQL_TYPE_STRING;
			break;
		case 'b':
			b->buffer = va_arg(ap, void *);
			b->buffer_length = va_arg(ap, size_t);
			blob_len[i] = va_arg(ap, size_t *);
			b->buffer_type = MYSQL_TYPE_BLOB;
			break;
		}
	}
	va_end(ap);
	/* A loop over rows binds the same places each time: once per execution is enough. */
	if ((s->bound != st || memcmp(s->bound_to, bind, n * sizeof *bind)) && mysql_stmt_bind_result(st, bind)) {
		s->bound = NULL;
		stmt_failed(s, st);
		store_q_end(st);
		return -1;
	}
	s->bound = st;
	memcpy(s->bound_to, bind, n * sizeof *bind);
	int rc = mysql_stmt_fetch(st);
	if (rc == MYSQL_NO_DATA) {
		store_q_end(st);
		return 0;
	}
	if (rc == 1) {
		stmt_failed(s, st);
		store_q_end(st);
		return -1;
	}
	if (rc == MYSQL_DATA_TRUNCATED) {
		store_fail(s, CR_UNKNOWN_ERROR, "column longer than its buffer");
		store_q_end(st);
		return -1;
	}
	for (size_t i = 0; types[i]; i++) {
		if (types[i] == 'u' && is_null[i])
			*num[i] = UINT64_MAX;
		else if (types[i] == 's')
			((char *)bind[i].buffer)[is_null[i] ? 0 : len[i]] = '\0';
		else if (types[i] == 'b')
			*blob_len[i] = is_null[i] ? 0 : len[i];
	}
	return 1;
}

void store_q_end(MYSQL_STMT *st) { mysql_stmt_free_result(st); }

enum store_result store_q_one(MYSQL_STMT *st, int fetched, enum store_result none)
{
	if (fetched < 0)
		return STORE_TEMPFAIL;
	if (fetched == 0)
		return none;
	store_q_end(st);
	return STORE_OK;
}
enum store_result store_q_rows(int rc, uint64_t handed)
{
	return rc == 0 ? STORE_OK : handed ? STORE_UNKNOWN : STORE_TEMPFAIL;
}

uint64_t store_q_affected(MYSQL_STMT *st) { return mysql_stmt_affected_rows(st); }
uint64_t store_q_insert_id(MYSQL_STMT *st) { return mysql_stmt_insert_id(st); }

static void back_off(int attempt)
{
	unsigned r;
	if (getrandom(&r, sizeof r, 0) != sizeof r)
		r = (unsigned)getpid();
	long us = (long)RETRY_BASE_US << attempt;
	us += r % us; /* jitter, so two losers of one deadlock do not collide again */
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
	nanosleep(&ts, NULL);
}

enum store_result store_txn(struct store *s, store_txn_body body, void *ctx)
{
	s->err[0] = '\0';
	for (int attempt = 0;; attempt++) {
		s->err_no = 0;
		if (store_connect(s) < 0)
			return STORE_TEMPFAIL;
		enum store_result r = body(s, ctx);
		if (!s->db) { /* the node went away before COMMIT: nothing was done, go on with the next */
			if (attempt + 1 >= STORE_TXN_ATTEMPTS)
				return STORE_TEMPFAIL;
			continue;
		}
		if (r == STORE_OK && mysql_commit(s->db) == 0)
			return STORE_OK;
		if (r == STORE_OK) {
			store_fail(s, mysql_errno(s->db), mysql_error(s->db));
			if (connection_lost(s->err_no)) { /* the COMMIT may have happened */
				node_lost(s);
				return STORE_UNKNOWN;
			}
			r = STORE_TEMPFAIL;
		}
		unsigned err_no = s->err_no;
		if (mysql_rollback(s->db)) {
			node_lost(s);
			return STORE_TEMPFAIL;
		}
		if (r != STORE_TEMPFAIL || !retryable(err_no) || attempt + 1 >= STORE_TXN_ATTEMPTS)
			return r;
		back_off(attempt);
	}
}

enum store_result store_read(struct store *s, store_txn_body body, void *ctx)
{
	s->err[0] = '\0';
	for (int attempt = 0;; attempt++) { /* a read is safe to repeat on another node */
		s->err_no = 0;
		if (store_connect(s) < 0)
			return STORE_TEMPFAIL;
		enum store_result r = body(s, ctx);
		if (s->db || r != STORE_TEMPFAIL) /* STORE_UNKNOWN: it had begun its answer */
			return r;
		if (attempt + 1 >= STORE_TXN_ATTEMPTS)
			return STORE_TEMPFAIL;
	}
}

void store_random_hex(char *out, size_t bytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[32];
	if (bytes > sizeof raw)
		bytes = sizeof raw;
	if (getrandom(raw, bytes, 0) != (ssize_t)bytes)
		abort(); /* no entropy means no unique UIDLs: refuse rather than collide */
	for (size_t i = 0; i < bytes; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[2 * bytes] = '\0';
}

const char *store_hostname(void)
{
	static char name[256];
	const char *env = getenv("INETMAIL_HOSTNAME");
	if (env && *env)
		return env;
	if (!name[0] && gethostname(name, sizeof name - 1) < 0)
		strcpy(name, "localhost");
	return name;
}

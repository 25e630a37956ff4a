#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "systemd.h"

#define LOG_FIELDS_MAX 16 /* more than any log line carries */

static const char *log_ident = "inetmail";
static int use_journal;
static int log_file = -1; /* INETMAIL_LOG: a file of our own (make run), else -1 */

void log_open(const char *ident)
{
	log_ident = ident;
	const char *file = getenv("INETMAIL_LOG");
	/* Non-blocking: a pipe nobody reads is no log (ENXIO), and a full one loses a line, never stalls a session. */
	if (file && *file == '/' &&
	    (log_file = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0640)) >= 0)
		return;
	use_journal = getenv("JOURNAL_STREAM") || access("/run/systemd/journal/socket", W_OK) == 0;
	if (!use_journal)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

/* A line of the file: time, program[pid], the message; one write, so lines of several processes never mix. */
static void file_line(const char *msg)
{
	char line[1200], stamp[32]; /* a message of log_send (1024) with its time, name and pid */
	time_t now = time(NULL);
	struct tm tm;
	strftime(stamp, sizeof stamp, "%b %d %H:%M:%S", localtime_r(&now, &tm));
	int n = snprintf(line, sizeof line, "%s %s[%ld]: %s\n", stamp, log_ident, (long)getpid(), msg);
	if (n > (int)sizeof line - 1)
		n = (int)sizeof line - 1;
	if (write(log_file, line, (size_t)n) < 0)
		syslog(LOG_MAIL | LOG_ERR, "%s", msg);
}

void log_send(int priority, const char *const *fields, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (log_file >= 0) {
		file_line(msg);
		return;
	}
	if (!use_journal) {
		syslog(priority, "%s", msg);
		return;
	}
	char message[1100], prio[16], ident[64];
	struct iovec iov[LOG_FIELDS_MAX + 4];
	int n = 0;
	snprintf(message, sizeof message, "MESSAGE=%s", msg);
	snprintf(prio, sizeof prio, "PRIORITY=%d", priority);
	snprintf(ident, sizeof ident, "SYSLOG_IDENTIFIER=%s", log_ident);
	const char *fixed[] = {message, prio, ident, "SYSLOG_FACILITY=2"}; /* 2: LOG_MAIL */
	for (int i = 0; i < 4; i++)
		iov[n++] = (struct iovec){(void *)fixed[i], strlen(fixed[i])};
	for (int i = 0; fields && fields[i] && i < LOG_FIELDS_MAX; i++)
		iov[n++] = (struct iovec){(void *)fields[i], strlen(fields[i])};
	if (systemd_journal_sendv(iov, n) < 0)
		syslog(LOG_MAIL | priority, "%s", msg);
}

static char session_id[17] = "-";
static const char *session_peer = "-";

void log_session_start(const char *peer)
{
	unsigned char raw[8];
	if (getrandom(raw, sizeof raw, 0) != sizeof raw)
		memset(raw, 0, sizeof raw);
	for (int i = 0; i < 8; i++)
		snprintf(session_id + 2 * i, 3, "%02x", raw[i]);
	session_peer = peer;
}

const char *log_session_id(void) { return session_id; }

#define NOTES_MAX 8      /* more than the MX checks record */
#define NOTE_MAX 160     /* "name=value": a DNS blocklist's zone, an rspamd symbol list cut */
static struct note {
	char text[NOTE_MAX];   /* "name=value", for the line */
	char field[NOTE_MAX + 16]; /* "INETMAIL_NAME=value", for the journal */
} notes[NOTES_MAX];
static int n_notes;

void log_session_note(const char *name, const char *value)
{
	int i = 0;
	size_t k = strlen(name);
	while (i < n_notes && (strncmp(notes[i].text, name, k) || notes[i].text[k] != '='))
		i++;
	if (i == NOTES_MAX)
		return;
	n_notes += i == n_notes;
	snprintf(notes[i].text, sizeof notes[i].text, "%s=%s", name, value);
	int n = snprintf(notes[i].field, sizeof notes[i].field, "INETMAIL_%s", notes[i].text);
	for (int j = 9; j < n && notes[i].field[j] != '='; j++) /* INETMAIL_ and the name in capitals */
		notes[i].field[j] = (char)(notes[i].field[j] >= 'a' && notes[i].field[j] <= 'z' ? notes[i].field[j] - 32
		                                                                              : notes[i].field[j]);
}

void log_session(int priority, const char *user, const char *event, const char *fmt, ...)
{
	char detail[900], session[64], peer[96], who[400], result[64];
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	for (int i = 0; i < n_notes && len >= 0 && (size_t)len < sizeof detail; i++)
		len += snprintf(detail + len, sizeof detail - (size_t)len, " %s", notes[i].text);
	snprintf(session, sizeof session, "INETMAIL_SESSION=%s", session_id);
	snprintf(peer, sizeof peer, "INETMAIL_PEER=%s", session_peer);
	snprintf(who, sizeof who, "INETMAIL_USER=%s", user ? user : "");
	snprintf(result, sizeof result, "INETMAIL_RESULT=%s", event);
	const char *fields[4 + NOTES_MAX + 1] = {session, peer, result, user ? who : NULL};
	for (int i = 0, n = user ? 4 : 3; i < n_notes; i++)
		fields[n++] = notes[i].field;
	log_send(priority, fields, "session %s: %s %s", session_id, event, detail);
}

void log_machine_event(const char *user, const char *event, const char *detail)
{
	if (!strcmp(event, "auth-failed"))
		log_auth_failed(detail);
	else
		log_session(LOG_INFO, user, event, "%s", detail);
}

void log_auth_failed(const char *user)
{
	char name[321];
	size_t i = 0;
	/* The client's words, made one harmless token after the fixed part. */
	for (; user[i] && i < sizeof name - 1; i++)
		name[i] = (unsigned char)user[i] <= ' ' || user[i] == 0x7f || user[i] == '>' ? '?' : user[i];
	name[i] = '\0';
	log_session(LOG_NOTICE, NULL, "auth-failed", "client=%s user=<%s>", session_peer, name);
}

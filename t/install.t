#!/bin/sh
# make install into a DESTDIR: the whole tree, with paths that fit; make uninstall.
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/t/lib/tap.sh"
d=$(mktemp -d)
b=$(mktemp -d)
trap 'rm -rf "$d" "$b"' EXIT
# A build of its own: PREFIX is compiled in, and the tests' build must not change.
make -s -C "$TOP" install BUILD="$b" DESTDIR="$d" PREFIX=/usr UNITDIR=/lib/systemd/system >/dev/null 2>&1
ok $? "make install PREFIX=/usr DESTDIR=..."
for f in usr/sbin/smtp-handler usr/sbin/pop3-handler usr/sbin/imap-handler usr/sbin/mailctl \
	lib/systemd/system/smtp.socket lib/systemd/system/smtp@.service \
	lib/systemd/system/submission.socket lib/systemd/system/submission@.service \
	lib/systemd/system/pop3.socket lib/systemd/system/pop3@.service lib/systemd/system/pop3s@.service \
	lib/systemd/system/submissions.socket etc/xinetd.d/inetmail-pop3s \
	lib/systemd/system/imap.socket lib/systemd/system/imap@.service lib/systemd/system/imaps.socket \
	lib/systemd/system/imaps@.service etc/xinetd.d/inetmail-imap etc/xinetd.d/inetmail-imaps etc/inetmail/imap.cnf \
	etc/xinetd.d/inetmail-smtp etc/xinetd.d/inetmail-submission etc/xinetd.d/inetmail-pop3 \
	usr/share/inetmail/sql/schema.sql usr/share/inetmail/sql/grants.sql \
	usr/share/inetmail/examples/remote-database.conf usr/lib/sysusers.d/inetmail.conf \
	etc/inetmail/inetmail.env etc/inetmail/my.cnf etc/inetmail/smtp.cnf etc/inetmail/pop3.cnf etc/inetmail/relay.cnf \
	usr/share/man/man8/smtp-handler.8 usr/share/man/man8/pop3-handler.8 usr/share/man/man8/imap-handler.8 \
	usr/share/man/man8/mailctl.8 \
	etc/fail2ban/filter.d/inetmail.conf etc/fail2ban/jail.d/inetmail.conf; do
	[ -f "$d/$f" ]; ok $? "installs /$f"
done
[ -x "$d/usr/sbin/smtp-handler" ]; ok $? "the handlers are executable"
grep -q '^ExecStart=/usr/sbin/smtp-handler$' "$d/lib/systemd/system/smtp@.service"; ok $? "the units run /usr/sbin/smtp-handler"
grep -q 'server      = /usr/sbin/pop3-handler' "$d/etc/xinetd.d/inetmail-pop3"; ok $? "xinetd runs /usr/sbin/pop3-handler"
grep -q "/usr/share/inetmail/sql" "$d/usr/sbin/mailctl"; ok $? "mailctl migrate defaults to the installed SQL"
grep -q "INETMAIL_MYCNF=/etc/inetmail/smtp.cnf" "$d/lib/systemd/system/submission@.service"; ok $? "the units read /etc/inetmail"
grep -q '^user *= inetmail_pop3$' "$d/etc/inetmail/pop3.cnf"; ok $? "pop3.cnf names the database user inetmail_pop3"
# The administrator's files under /etc: kept by a second make install and by make uninstall.
echo 'INETMAIL_HOSTNAME=mail.example.org' >>"$d/etc/inetmail/inetmail.env"
make -s -C "$TOP" install BUILD="$b" DESTDIR="$d" PREFIX=/usr UNITDIR=/lib/systemd/system >/dev/null 2>&1
grep -q '^INETMAIL_HOSTNAME=mail.example.org$' "$d/etc/inetmail/inetmail.env"; ok $? "make install again keeps a changed inetmail.env"
make -s -C "$TOP" uninstall BUILD="$b" DESTDIR="$d" PREFIX=/usr UNITDIR=/lib/systemd/system >/dev/null 2>&1
ok $? "make uninstall"
is "$(cd "$d" && find . -type f)" "./etc/inetmail/inetmail.env" "removes every file it installed but the one changed since"
done_testing

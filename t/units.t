#!/bin/sh
# The systemd units: systemd-analyze verify, an exposure of at most 2.0, and
# the choices README "Deploying" measured: nothing a connection pays dearly for.
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${INETMAIL_BUILD:-$TOP/build}
. "$TOP/t/lib/tap.sh"
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
# ExecStart must exist for verify: point it at the freshly built handlers.
for f in "$BUILD"/units/*; do
	sed "s|^ExecStart=.*/\([a-z0-9-]*\)$|ExecStart=$BUILD/\1|" "$f" >"$d/$(basename "$f")"
done
exposure() {
	(cd "$d" && systemd-analyze security --offline=true "./$1" 2>&1) |
		sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p'
}
for s in smtp submission submissions pop3 pop3s imap imaps; do
	out=$(cd "$d" && systemd-analyze verify --man=no "./$s.socket" "./$s@.service" 2>&1)
	is "$?:$out" "0:" "$s: systemd-analyze verify is clean"
	# MX mode's checks need the network (DNS, rspamd): its unit has it, the others none.
	most=2.0 network="PrivateNetwork=yes" families="RestrictAddressFamilies=AF_UNIX"
	[ "$s" = smtp ] && most=3.0 network="PrivateNetwork=no" families="RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"
	level=$(exposure "$s@.service")
	awk -v l="$level" -v m="$most" 'BEGIN { exit !(l != "" && l <= m) }'
	ok $? "$s@.service: exposure $level is at most $most"
	is "$(grep '^PrivateNetwork=' "$d/$s@.service" | tail -1)" "$network" "$s@.service: $network, the last word"
	is "$(grep '^RestrictAddressFamilies=' "$d/$s@.service" | tail -1)" "$families" "$s@.service: $families"
	for k in Accept=yes TriggerLimitIntervalSec=0 MaxConnections= MaxConnectionsPerSource=; do
		grep -q "^$k" "$d/$s.socket"; ok $? "$s.socket sets $k"
	done
	for k in StandardInput=socket StandardOutput=socket StandardError=null EnvironmentFile= User=inetmail_ \
		SystemCallArchitectures=native SystemCallFilter=~ \
		NoNewPrivileges=yes MemoryMax= RuntimeMaxSec= CapabilityBoundingSet=; do
		grep -q "^$k" "$d/$s@.service"; ok $? "$s@.service sets $k"
	done
	# Each of these costs every connection a mount namespace or a mount (t/bench-units.py).
	costly=$(grep -E '^(DynamicUser|LoadCredential|SetCredential|Protect(System|Home|KernelTunables|KernelModules|KernelLogs|ControlGroups|Proc)|ProcSubset|Private(Tmp|Devices|Mounts)|ReadOnlyPaths|InaccessiblePaths|TemporaryFileSystem)=' \
		"$d/$s@.service")
	is "$costly" "" "$s@.service has no setting that needs a mount per connection"
done
grep -h '^User=' "$d/smtp@.service" "$d/submission@.service" "$d/submissions@.service" | sort -u >"$d/smtp-users"
is "$(cat "$d/smtp-users")" "User=inetmail_smtp" "the SMTP units run as inetmail_smtp"
is "$(grep -h '^User=' "$d/pop3@.service" "$d/pop3s@.service" | sort -u)" "User=inetmail_pop3" "the POP3 units run as inetmail_pop3"
is "$(grep -h '^User=' "$d/imap@.service" "$d/imaps@.service" | sort -u)" "User=inetmail_imap" "the IMAP units run as inetmail_imap"
for u in inetmail_smtp inetmail_pop3 inetmail_imap inetmail_relay; do
	grep -Eq "^u +$u " "$TOP/units/inetmail.sysusers"; ok $? "inetmail.sysusers makes $u"
done
grep -Eq '^m +inetmail_smtp +inetmail$' "$TOP/units/inetmail.sysusers" && grep -Eq '^m +inetmail_pop3 +inetmail$' "$TOP/units/inetmail.sysusers" &&
	grep -Eq '^m +inetmail_imap +inetmail$' "$TOP/units/inetmail.sysusers"
ok $? "the handlers' users are in group inetmail (the TLS key's)"
out=$(cd "$d" && systemd-analyze verify --man=no ./inetmail-relay.service 2>&1)
is "$?:$out" "0:" "inetmail-relay.service: systemd-analyze verify is clean"
level=$(exposure inetmail-relay.service)
awk -v l="$level" 'BEGIN { exit !(l != "" && l <= 2.0) }'
ok $? "inetmail-relay.service: exposure $level is at most 2.0"
for k in Restart=always User=inetmail_relay DynamicUser=yes NoNewPrivileges=yes ProtectSystem=strict MemoryMax= CapabilityBoundingSet= \
	LoadCredential=relay-auth: Environment=INETMAIL_RELAY_AUTH_FILE= LoadCredential=dkim: Environment=INETMAIL_DKIM_DIR=; do
	grep -q "^$k" "$d/inetmail-relay.service"; ok $? "inetmail-relay.service sets $k"
done
grep -q '^Environment=INETMAIL_SMTP_MODE=mx ' "$d/smtp@.service"; ok $? "port 25 is MX mode"
grep -q '^Environment=INETMAIL_SMTP_MODE=submission INETMAIL_MYCNF=' "$d/submission@.service"; ok $? "port 587 is submission"
grep -q '^Environment=INETMAIL_SMTP_MODE=submission INETMAIL_TLS=implicit ' "$d/submissions@.service"
ok $? "port 465 is submission over implicit TLS"
grep -q '^Environment=INETMAIL_TLS=implicit ' "$d/pop3s@.service"; ok $? "port 995 is POP3 over implicit TLS"
grep -q '^Environment=INETMAIL_TLS=implicit ' "$d/imaps@.service" && grep -q '^ListenStream=993$' "$d/imaps.socket" &&
	grep -q '^ListenStream=143$' "$d/imap.socket"
ok $? "port 143 is IMAP, 993 IMAP over implicit TLS"
grep -q '^Environment=INETMAIL_TLS_CERT=/etc/inetmail/tls.crt INETMAIL_TLS_KEY=/etc/inetmail/tls.key$' "$d/pop3@.service"
ok $? "the certificate and key are read from /etc/inetmail (none there: no TLS)"
for f in "$BUILD"/xinetd/*; do
	grep -q '^	disable     = yes$' "$f"; ok $? "xinetd's $(basename "$f") is shipped disabled"
done
done_testing

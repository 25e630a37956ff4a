#!/bin/sh
# The systemd units: systemd-analyze verify, and an exposure of at most 2.0.
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${INETMAIL_BUILD:-$TOP/build}
. "$TOP/t/lib/tap.sh"
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
# ExecStart must exist for verify: point it at the freshly built handlers.
for f in "$BUILD"/units/*; do
	sed "s|^ExecStart=.*/\([a-z0-9-]*\)$|ExecStart=$BUILD/\1|" "$f" >"$d/$(basename "$f")"
done
for s in smtp submission submissions pop3 pop3s; do
	out=$(cd "$d" && systemd-analyze verify --man=no "./$s.socket" "./$s@.service" 2>&1)
	is "$?:$out" "0:" "$s: systemd-analyze verify is clean"
	level=$(cd "$d" && systemd-analyze security --offline=true "./$s@.service" 2>&1 |
		sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
	awk -v l="$level" 'BEGIN { exit !(l != "" && l <= 2.0) }'
	ok $? "$s@.service: exposure $level is at most 2.0"
	for k in Accept=yes MaxConnections= MaxConnectionsPerSource=; do
		grep -q "^$k" "$d/$s.socket"; ok $? "$s.socket sets $k"
	done
	for k in StandardInput=socket StandardOutput=socket StandardError=journal EnvironmentFile= \
		DynamicUser=yes NoNewPrivileges=yes ProtectSystem=strict MemoryMax= RuntimeMaxSec= CapabilityBoundingSet=; do
		grep -q "^$k" "$d/$s@.service"; ok $? "$s@.service sets $k"
	done
done
out=$(cd "$d" && systemd-analyze verify --man=no ./inetmail-relay.service 2>&1)
is "$?:$out" "0:" "inetmail-relay.service: systemd-analyze verify is clean"
level=$(cd "$d" && systemd-analyze security --offline=true ./inetmail-relay.service 2>&1 |
	sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
awk -v l="$level" 'BEGIN { exit !(l != "" && l <= 2.0) }'
ok $? "inetmail-relay.service: exposure $level is at most 2.0"
for k in Restart=always DynamicUser=yes NoNewPrivileges=yes ProtectSystem=strict MemoryMax= CapabilityBoundingSet= \
	LoadCredential=relay-auth: Environment=INETMAIL_RELAY_AUTH_FILE= LoadCredential=dkim: Environment=INETMAIL_DKIM_DIR=; do
	grep -q "^$k" "$d/inetmail-relay.service"; ok $? "inetmail-relay.service sets $k"
done
grep -q '^Environment=INETMAIL_SMTP_MODE=mx$' "$d/smtp@.service"; ok $? "port 25 is MX mode"
grep -q '^Environment=INETMAIL_SMTP_MODE=submission$' "$d/submission@.service"; ok $? "port 587 is submission"
grep -q '^Environment=INETMAIL_SMTP_MODE=submission INETMAIL_TLS=implicit$' "$d/submissions@.service"
ok $? "port 465 is submission over implicit TLS"
grep -q '^Environment=INETMAIL_TLS=implicit$' "$d/pop3s@.service"; ok $? "port 995 is POP3 over implicit TLS"
grep -q '^LoadCredential=tls-cert:' "$d/pop3@.service" && grep -q '^SetCredential=tls-cert:none$' "$d/pop3@.service"
ok $? "the certificate is a credential, none when the file is missing"
done_testing

#!/bin/sh
# Every INETMAIL_ setting the code reads is documented in README and the man pages.
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/t/lib/tap.sh"
settings() { # the INETMAIL_ names read by the C files given
	grep -ho '\(getenv\|env_[a-z]*\)("INETMAIL_[A-Z0-9_]*"' "$@" | sed 's/.*"\(INETMAIL_[A-Z0-9_]*\)"/\1/' | sort -u
}
all=$(settings "$TOP"/libstore/*.c "$TOP"/common/*.c "$TOP"/smtp-handler/*.c "$TOP"/pop3-handler/*.c "$TOP"/imap-handler/*.c "$TOP"/mailctl/*.c \
	"$TOP"/relay/*.c)
[ -n "$all" ]; ok $? "the code reads settings: $(echo $all)"
for v in $all; do
	grep -q "\`$v\`" "$TOP/README.md"; ok $? "$v is in README.md"
	grep -q "^\.B $v\$" "$TOP"/man/*.8; ok $? "$v is in a man page"
done
for h in smtp-handler pop3-handler imap-handler; do
	for v in $(settings "$TOP/$h"/*.c); do
		grep -q "^\.B $v\$" "$TOP/man/$h.8"; ok $? "$v is in $h(8)"
	done
done
for v in $(settings "$TOP"/relay/*.c "$TOP"/common/dkimkey.c); do
	grep -q "^\.B $v\$" "$TOP/man/inetmail-relay.8"; ok $? "$v is in inetmail-relay(8)"
done
for v in INETMAIL_MYCNF; do
	for m in smtp-handler pop3-handler imap-handler mailctl inetmail-relay; do
		grep -q "^\.B $v\$" "$TOP/man/$m.8"; ok $? "$v is in $m(8)"
	done
done
for m in "$TOP"/man/*.8; do
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$m" 2>&1 >/dev/null)
	is "$out" "" "$(basename "$m") renders without warnings"
done
done_testing

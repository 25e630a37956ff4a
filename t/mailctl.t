#!/bin/sh
# mailctl: accounts, password schemes, quotas, exit codes.
. "$(dirname "$0")/lib/testdb.sh"
. "$TOP/t/lib/tap.sh"
testdb t_mailctl
M=$BUILD/mailctl

echo 'alice pw' | $M add alice@Example.com; is $? 0 "add reads the password from stdin"
is "$(tsql "SELECT address, LEFT(password_hash, 3), active FROM account")" "$(printf 'alice@example.com\t$y$\t1')" \
	"stored canonical, yescrypt by default, active"
echo 'bob pw' | $M --scheme bcrypt add bob@example.com; is $? 0 "--scheme bcrypt"
is "$(tsql "SELECT LEFT(password_hash, 4) FROM account WHERE address = 'bob@example.com'")" '$2b$' "bcrypt hash"
echo 'carol pw' | $M --scheme sha512crypt add carol@example.com; is $? 0 "--scheme sha512crypt"
is "$(tsql "SELECT LEFT(password_hash, 3) FROM account WHERE address = 'carol@example.com'")" '$6$' "sha512crypt hash"
echo x | $M --scheme md5 add dan@example.com 2>/dev/null; is $? 65 "an unknown scheme is refused (65)"
echo x | $M add ALICE@example.com 2>/dev/null; is $? 65 "an existing account is refused (65)"
echo x | $M add 'not an address' 2>/dev/null; is $? 65 "a bad address is refused (65)"
$M add erin@example.com </dev/null 2>/dev/null; is $? 65 "no password on stdin is refused (65)"
printf '\n' | $M add erin@example.com 2>/dev/null; is $? 65 "an empty password is refused (65)"
$M add erin@example.com secret 2>/dev/null; is $? 64 "a password in argv is a usage error (64)"
is "$(tsql "SELECT COUNT(*) FROM account")" 3 "none of those created an account"

old=$(tsql "SELECT password_hash FROM account WHERE address = 'alice@example.com'")
echo 'new pw' | $M passwd alice@example.com; is $? 0 "passwd"
new=$(tsql "SELECT password_hash FROM account WHERE address = 'alice@example.com'")
[ "$old" != "$new" ]; ok $? "changes the hash"
echo x | $M passwd nobody@example.com 2>/dev/null; is $? 67 "passwd of an unknown account (67)"

$M quota bob@example.com 1000; is $? 0 "quota in bytes"
is "$(tsql "SELECT quota_bytes FROM account WHERE address = 'bob@example.com'")" 1000 "is stored"
$M quota bob@example.com none; is $? 0 "quota none"
is "$(tsql "SELECT quota_bytes FROM account WHERE address = 'bob@example.com'")" NULL "removes it"
$M quota bob@example.com -5 2>/dev/null; is $? 65 "a negative quota is refused"
$M quota bob@example.com 12abc 2>/dev/null; is $? 65 "so is a non-number"
$M quota nobody@example.com 5 2>/dev/null; is $? 67 "quota of an unknown account (67)"

$M disable carol@example.com; is $? 0 "disable"
is "$(tsql "SELECT active FROM account WHERE address = 'carol@example.com'")" 0 "clears the active flag"
$M quota carol@example.com 4096
out=$($M list); is $? 0 "list"
like "$out" '^ADDRESS +MESSAGES +BYTES +QUOTA +STATE$' "has a heading"
like "$out" '^carol@example.com +0 +0 +4096 inactive$' "shows quota and state"
like "$out" '^alice@example.com +0 +0 +none active$' "and accounts without quota"
$M enable carol@example.com; is $? 0 "enable"
is "$(tsql "SELECT active FROM account WHERE address = 'carol@example.com'")" 1 "sets it again"

$M del bob@example.com; is $? 0 "del"
is "$(tsql "SELECT COUNT(*) FROM account WHERE address = 'bob@example.com'")" 0 "removes the account"
$M del bob@example.com 2>/dev/null; is $? 67 "del of an unknown account (67)"
$M frobnicate 2>/dev/null; is $? 64 "an unknown command is a usage error (64)"
$M 2>/dev/null; is $? 64 "so is no command"
$M gc; is $? 0 "gc"

# queue: what an authenticated submission queued for other domains.
is "$($M queue)" "$(printf '%-10s %10s %8s %9s %s' ID AGE ATTEMPTS 'NEXT TRY' 'SENDER -> RECIPIENT')" "queue: empty, a heading"
printf 'EHLO c\r\nAUTH PLAIN %s\r\nMAIL FROM:<alice@example.com>\r\nRCPT TO:<Friend@Elsewhere.Example>\r\nDATA\r\nSubject: x\r\n\r\nx\r\n.\r\nQUIT\r\n' \
	"$(printf '\0alice@example.com\0new pw' | base64)" | INETMAIL_RELAY=smarthost INETMAIL_PLAINTEXT_AUTH=1 "$BUILD/smtp-handler" >"$INETMAIL_TEST_DIR/relay.out"
like "$(cat "$INETMAIL_TEST_DIR/relay.out")" '^250 2.0.0 Ok: queued' "a submission to another domain is queued"
tsql "UPDATE relay_queue SET created_at = NOW(6) - INTERVAL 90 SECOND, attempts = 2,
	next_try_at = NOW(6) + INTERVAL 600 SECOND, last_answer = '451 4.7.1 try later'"
out=$($M queue); is $? 0 "queue"
like "$out" '^[0-9]+ +9[0-9]s +2 +(599|600)s <alice@example.com> -> <friend@elsewhere.example>$' \
	"a row per recipient: age, attempts, next try, sender and recipient"
like "$out" '^ +last answer: 451 4.7.1 try later$' "and the last answer"
is "$($M queue flush)" "1 waiting recipients are due now" "queue flush"
is "$(tsql "SELECT COUNT(*) FROM relay_queue WHERE next_try_at <= NOW(6)")" 1 "makes them due"
id=$(tsql "SELECT id FROM relay_queue")
tsql "UPDATE relay_queue SET lease_owner = 'agent', lease_expires_at = NOW(6) + INTERVAL 60 SECOND"
err=$($M queue del "$id" 2>&1); is $? 75 "queue del of a row an agent is delivering: try again (75)"
like "$err" 'a relay agent is delivering it now' "says so"
tsql "UPDATE relay_queue SET lease_owner = NULL, lease_expires_at = NULL"
bounces=$(tsql "SELECT COUNT(*) FROM mailbox_entry e JOIN account a ON a.id = e.account_id WHERE a.address = 'alice@example.com'")
$M queue del "$id"; is $? 0 "queue del"
is "$(tsql "SELECT COUNT(*) FROM relay_queue")" 0 "removes the row"
is "$(tsql "SELECT COUNT(*) FROM mailbox_entry e JOIN account a ON a.id = e.account_id WHERE a.address = 'alice@example.com'")" \
	$((bounces + 1)) "and bounces it to its sender"
err=$($M queue del "$id" 2>&1); is $? 67 "queue del of no such row (67)"
like "$err" 'no such queued recipient' "says so"
$M queue del x 2>/dev/null; is $? 64 "queue del needs a number (64)"

printf '[inetmail]\nsocket=/nonexistent/sock\n' >"$INETMAIL_TEST_DIR/down.cnf"
INETMAIL_MYCNF=$INETMAIL_TEST_DIR/down.cnf $M list >/dev/null 2>&1; is $? 75 "database unreachable (75)"
err=$(echo 'secret-pw' | INETMAIL_MYCNF=$INETMAIL_TEST_DIR/down.cnf $M add z@example.com 2>&1)
case $err in *secret-pw*) ok 1 "no password in error messages" ;; *) ok 0 "no password in error messages" ;; esac
case $err in *"$INETMAIL_TEST_DIR/down.cnf [inetmail]:"*) ok 0 "it names the option file and group it used" ;;
*) ok 1 "it names the option file and group it used ($err)" ;; esac
err=$(INETMAIL_MYCNF=$INETMAIL_TEST_DIR/missing.cnf $M list 2>&1 >/dev/null)
case $err in *"cannot read the option file $INETMAIL_TEST_DIR/missing.cnf (No such file or directory; INETMAIL_MYCNF"*)
	ok 0 "a missing option file is named, with INETMAIL_MYCNF" ;;
*) ok 1 "a missing option file is named, with INETMAIL_MYCNF ($err)" ;; esac
out=$($M --help); is $? 0 "mailctl --help exits 0"
case $out in "usage: mailctl "*"mailctl penalty "*) ok 0 "and prints the usage on stdout" ;; *) ok 1 "and prints the usage on stdout" ;; esac
$M 2>/dev/null; is $? 64 "no command at all is a usage error (64)"
out=$(echo 'x pw' | $M add x@example.com); is "$out" "x@example.com: account added" "a change says what it changed"
out=$($M del x@example.com); is "$out" "x@example.com: account deleted, with its mail" "and so does a deletion"
done_testing

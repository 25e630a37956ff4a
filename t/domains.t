#!/bin/sh
# mailctl domain and alias: local domains, aliases, catch-alls, postmaster.
. "$(dirname "$0")/lib/testdb.sh"
. "$TOP/t/lib/tap.sh"
testdb t_domains
M=$BUILD/mailctl
aliases() { tsql "SELECT GROUP_CONCAT(CONCAT(source, '>', target) ORDER BY source, target SEPARATOR ' ') FROM alias"; }

out=$(echo pw | $M --scheme sha512crypt add alice@example.com); is $? 0 "an account in a new domain"
is "$out" "example.com is a local domain now
alice@example.com: account added" "mailctl says the domain is local now, and that the account was added"
is "$(tsql "SELECT name FROM domain")" "example.com" "it is in the domain table"
is "$(aliases)" "postmaster@example.com>alice@example.com" "and its first account is its postmaster"
out=$(echo pw | $M --scheme sha512crypt add bob@example.com); is "$out" "bob@example.com: account added" "a second account says only that"
is "$(aliases)" "postmaster@example.com>alice@example.com" "and the postmaster stays"

is "$($M domain add Other.Example)" "other.example is a local domain now" "domain add"
is "$($M domain add other.example)" "other.example was a local domain already" "twice is no error"
is "$(aliases)" "postmaster@example.com>alice@example.com" "a domain without accounts has no postmaster alias"
$M domain add other.example --postmaster nobody@example.com 2>/dev/null; is $? 67 "--postmaster must be an account (67)"
$M domain add other.example --postmaster bob@example.com >/dev/null; is $? 0 "--postmaster sets it"
is "$(aliases)" "postmaster@example.com>alice@example.com postmaster@other.example>bob@example.com" "to that account"
$M domain add 'bad domain' 2>/dev/null; is $? 65 "a bad domain name is refused (65)"
like "$($M domain list)" '^other.example +0 +1$' "domain list: accounts and aliases"

$M alias add info@example.com alice@example.com bob@example.com; is $? 0 "an alias with two targets"
$M alias add team@example.com info@example.com; is $? 0 "an alias to an alias"
err=$($M alias add info@example.com team@example.com 2>&1); is $? 65 "a loop is refused (65)"
like "$err" "loop" "and says so"
err=$($M alias add x@elsewhere.example alice@example.com 2>&1); is $? 65 "an alias outside the local domains is refused"
like "$err" "elsewhere.example is not a local domain" "and says why"
$M alias add y@example.com ghost@example.com 2>/dev/null; is $? 67 "a target must be an account or alias (67)"
$M alias add @example.com bob@example.com; is $? 0 "a catch-all"
$M alias add @nowhere.example bob@example.com 2>/dev/null; is $? 65 "only for a local domain"
is "$(tsql "SELECT COUNT(*) FROM alias WHERE source IN ('info@example.com', 'team@example.com', '@example.com')")" 4 \
	"the refused ones left nothing behind"
i=1
while [ $i -le 8 ]; do $M alias add "chain$i@example.com" "$([ $i = 1 ] && echo alice || echo chain$((i - 1)))@example.com"; i=$((i + 1)); done
$M alias add chain9@example.com chain8@example.com 2>/dev/null; is $? 65 "a chain of aliases deeper than resolution follows is refused"
like "$($M alias list example.com)" '^team@example.com +info@example.com$' "alias list DOMAIN"
like "$($M alias list other.example)" '^postmaster@other.example +bob@example.com$' "shows that domain's only"
is "$($M alias list other.example | wc -l)" 1 "and nothing else"

$M alias del postmaster@example.com 2>/dev/null; is $? 65 "postmaster cannot be removed while the domain has accounts"
$M alias del postmaster@example.com alice@example.com 2>/dev/null; is $? 65 "not even its last target"
$M alias add postmaster@example.com bob@example.com && $M alias del postmaster@example.com alice@example.com
is $? 0 "but it can be pointed elsewhere"
$M alias del info@example.com bob@example.com; is $? 0 "alias del SOURCE TARGET"
$M alias del team@example.com; is $? 0 "alias del SOURCE: every target"
$M alias del team@example.com 2>/dev/null; is $? 67 "an alias that is not there (67)"

$M domain del example.com 2>/dev/null; is $? 65 "domain del refuses while accounts and aliases remain"
$M del bob@example.com; is $? 0 "deleting the postmaster's account"
is "$(tsql "SELECT target FROM alias WHERE source = 'postmaster@example.com'")" "alice@example.com" \
	"points postmaster at the domain's first account again"
is "$(tsql "SELECT COUNT(*) FROM alias WHERE target = 'bob@example.com'")" 0 "and no alias leads to it any more"
echo pw | $M add postmaster@example.com >/dev/null && $M alias del postmaster@example.com
is $? 0 "with an account postmaster@, the alias may go"
$M domain del other.example; is $? 0 "a domain without accounts is deleted"
$M domain del other.example 2>/dev/null; is $? 67 "one that is not local (67)"
$M domain del example.com --force; is $? 0 "--force deletes one with accounts"
is "$(tsql "SELECT (SELECT COUNT(*) FROM account) + (SELECT COUNT(*) FROM alias) + (SELECT COUNT(*) FROM domain)")" 0 \
	"with its accounts and aliases"
done_testing

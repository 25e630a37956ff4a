#!/bin/sh
# SHA-crypt on OpenSSL against libxcrypt: 100,000 random cases (fewer under
# the sanitizers, which make each one several times slower).
TOP=$(cd "$(dirname "$0")/.." && pwd)
"${INETMAIL_BUILD:-$TOP/build}/t/shacrypt-test" ${INETMAIL_SANITIZE:+5000}

# A private MariaDB for tests and `make run`: unix socket only, no systemd.
# mariadb_start DIR  installs (once) and starts a server with its data in DIR
# mariadb_stop DIR   stops it
# mariadb_sql DIR [ARGS...]  the mariadb client on that socket, as the OS user
# The socket is DIR/sock, or MARIADB_SOCKET (make run as root: where others may reach it).

mariadb_bin() {
	command -v "$1" 2>/dev/null || echo "/usr/sbin/$1"
}

mariadb_sql() {
	_d=$1
	shift
	mariadb --no-defaults -S "${MARIADB_SOCKET:-$_d/sock}" -u "$(id -un)" "$@"
}

mariadb_start() {
	_d=$1
	# A tmpdir of its own: a starting mariadbd deletes every #sql* file in its
	# tmpdir, so in a shared /tmp it deletes other servers' temporary tables.
	mkdir -p "$_d/tmp"
	if [ ! -d "$_d/data/mysql" ]; then
		"$(mariadb_bin mariadb-install-db)" --no-defaults --datadir="$_d/data" --user="$(id -un)" \
			--auth-root-authentication-method=socket --skip-test-db >"$_d/install.log" 2>&1 || {
			cat "$_d/install.log" >&2
			return 1
		}
	fi
	"$(mariadb_bin mariadbd)" --no-defaults --datadir="$_d/data" --socket="${MARIADB_SOCKET:-$_d/sock}" \
		--pid-file="$_d/pid" --log-error="$_d/err.log" --user="$(id -un)" --tmpdir="$_d/tmp" \
		--skip-networking --skip-log-bin --character-set-server=utf8mb4 \
		--collation-server=utf8mb4_general_ci ${MARIADB_EXTRA_OPTS:-} </dev/null >/dev/null 2>&1 &
	echo $! >"$_d/mariadbd.pid"
	_i=0
	until mariadb-admin --no-defaults -S "${MARIADB_SOCKET:-$_d/sock}" -u "$(id -un)" ping >/dev/null 2>&1; do
		_i=$((_i + 1))
		if [ $_i -gt 600 ] || ! kill -0 "$(cat "$_d/mariadbd.pid")" 2>/dev/null; then
			echo "mariadbd did not start:" >&2
			tail -20 "$_d/err.log" >&2
			return 1
		fi
		sleep 0.05
	done
}

mariadb_stop() {
	_d=$1
	[ -f "$_d/mariadbd.pid" ] || return 0
	_pid=$(cat "$_d/mariadbd.pid")
	kill "$_pid" 2>/dev/null || true
	_i=0
	while kill -0 "$_pid" 2>/dev/null && [ $_i -lt 600 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	kill -9 "$_pid" 2>/dev/null || true
	rm -f "$_d/mariadbd.pid"
}

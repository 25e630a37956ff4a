# A private three-node MariaDB Galera cluster on loopback, for tests and
# benchmarks. Nodes run as the mysql user (rsync SST refuses root), each with
# its own data directory, unix socket and ports under DIR.
#   galera_start DIR      bootstraps node 1, joins nodes 2 and 3 (SST); 0 when all are synced
#   galera_node_start DIR N   (re)starts node N as a joiner (IST when it has its data)
#   galera_node_kill DIR N    SIGKILL, as a crash
#   galera_stop DIR       stops every node it started
#   galera_sql DIR N [ARGS...]  the mariadb client on node N's socket, as root
#   galera_synced DIR N   0 when node N is a synced member (wsrep_local_state 4)
# GALERA_BASE_PORT (default 14300): node N listens on BASE+N for SQL, and on
# BASE+100+10N (gcomm), +1 (IST), +2 (SST).

galera_port() { echo $((${GALERA_BASE_PORT:-14300} + $2)); }
galera_gcomm_port() { echo $((${GALERA_BASE_PORT:-14300} + 100 + 10 * $2)); }

galera_sql() {
	_d=$1 _n=$2
	shift 2
	mariadb --no-defaults -S "$_d/n$_n/sock" -uroot "$@"
}

galera_synced() {
	[ "$(galera_sql "$1" "$2" -N -B -e "SHOW STATUS LIKE 'wsrep_local_state'" 2>/dev/null | cut -f2)" = 4 ]
}

_galera_cnf() {
	_d=$1 _n=$2
	_g=$(galera_gcomm_port "$_d" "$_n")
	cat >"$_d/n$_n/my.cnf" <<EOF
[mariadbd]
datadir=$_d/n$_n/data
tmpdir=$_d/n$_n/tmp
socket=$_d/n$_n/sock
pid-file=$_d/n$_n/pid
log-error=$_d/n$_n/err.log
port=$(galera_port "$_d" "$_n")
bind-address=127.0.0.1
user=mysql
character-set-server=utf8mb4
collation-server=utf8mb4_general_ci
innodb_flush_log_at_trx_commit=2
innodb_buffer_pool_size=64M
binlog_format=ROW
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider=/usr/lib/galera/libgalera_smm.so
wsrep_cluster_name=inetmail-test
wsrep_cluster_address=gcomm://127.0.0.1:$(galera_gcomm_port "$_d" 1),127.0.0.1:$(galera_gcomm_port "$_d" 2),127.0.0.1:$(galera_gcomm_port "$_d" 3)
wsrep_node_name=n$_n
wsrep_node_address=127.0.0.1
wsrep_provider_options="base_port=$_g;ist.recv_addr=127.0.0.1:$((_g + 1));gcache.size=64M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S"
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:$((_g + 2))
EOF
}

_galera_wait() { # _galera_wait DIR N SECONDS: until synced, or the node died
	_i=0
	while [ $_i -lt $(($3 * 10)) ]; do
		galera_synced "$1" "$2" && return 0
		kill -0 "$(cat "$1/n$2/mariadbd.pid" 2>/dev/null)" 2>/dev/null || break
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "galera node $2 did not sync:" >&2
	tail -15 "$1/n$2/err.log" >&2
	return 1
}

galera_node_start() {
	_d=$1 _n=$2
	shift 2
	mariadbd --defaults-file="$_d/n$_n/my.cnf" "$@" </dev/null >/dev/null 2>&1 &
	echo $! >"$_d/n$_n/mariadbd.pid"
	_galera_wait "$_d" "$_n" 120
}

galera_node_kill() {
	kill -9 "$(cat "$1/n$2/mariadbd.pid")" 2>/dev/null
	wait "$(cat "$1/n$2/mariadbd.pid")" 2>/dev/null
	rm -f "$1/n$2/mariadbd.pid"
}

galera_start() {
	_d=$1
	mkdir -p "$_d"
	chmod 755 "$_d"
	for _n in 1 2 3; do
		mkdir -p "$_d/n$_n/tmp" # its own: a starting node deletes the #sql* files of its tmpdir
		_galera_cnf "$_d" "$_n"
		chown -R mysql:mysql "$_d/n$_n"
		mariadb-install-db --defaults-file="$_d/n$_n/my.cnf" --auth-root-authentication-method=socket \
			--skip-test-db >"$_d/n$_n/install.log" 2>&1 || {
			cat "$_d/n$_n/install.log" >&2
			return 1
		}
	done
	galera_node_start "$_d" 1 --wsrep-new-cluster || return 1
	galera_node_start "$_d" 2 && galera_node_start "$_d" 3
}

galera_stop() {
	for _n in 1 2 3; do
		_p=$(cat "$1/n$_n/mariadbd.pid" 2>/dev/null) || continue
		kill "$_p" 2>/dev/null
	done
	for _n in 1 2 3; do
		_p=$(cat "$1/n$_n/mariadbd.pid" 2>/dev/null) || continue
		_i=0
		while kill -0 "$_p" 2>/dev/null && [ $_i -lt 300 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		kill -9 "$_p" 2>/dev/null
		rm -f "$1/n$_n/mariadbd.pid"
	done
}

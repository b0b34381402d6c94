#!/bin/sh
# check-generator.sh - udp-replyd-generator turns the config file into the
# right drop-in for udp-replyd.socket, and writes nothing (exit 0, one line
# saying why) when the config cannot be used.
#
# Environment (from systemd/Makefile.am): top_builddir builddir, absolute.
set -u
# shellcheck disable=SC2154 # the variables come from the environment
: "${top_builddir:?is set by make check}"
: "${builddir:?is set by make check}"

gen=$top_builddir/src/udp-replyd-generator
[ -x "$gen" ] || { echo "ERROR: $gen not built"; exit 99; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-generator.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
rc=0
fail() { echo "FAIL: $*"; rc=1; }
pass() { echo "PASS: $*"; }
# Run by hand, not by systemd: messages go to stderr.
unset SYSTEMD_SCOPE UDP_REPLYD_CONFIG

dropin=udp-replyd.socket.d/50-config.conf
n=0
nl='
'

# listen WORKERS ADDR...: the ListenDatagram= lines the generator writes for
# these addresses, WORKERS identical ones per address (one socket per worker,
# all in one SO_REUSEPORT group), in the order of the addresses.
listen() {
	w=$1
	shift
	for a in "$@"; do
		i=0
		while [ "$i" -lt "$w" ]; do
			echo "ListenDatagram=$a"
			i=$((i + 1))
		done
	done
}

# expect_dropin NAME CONFIG-TEXT BODY
# BODY: the lines after "[Socket]" and the "ListenDatagram=" that resets the
# unit's own address; comment lines of the drop-in are not compared.
expect_dropin() {
	name=$1 text=$2 body=$3
	n=$((n + 1))
	d=$tmp/$n
	mkdir -p "$d/out"
	printf '%s\n' "$text" >"$d/conf"
	if ! "$gen" -c "$d/conf" "$d/out" "$d/out" "$d/out" 2>"$d/err"; then
		fail "$name: generator failed: $(cat "$d/err")"
		return
	fi
	printf '[Socket]\nListenDatagram=\n%s\n' "$body" >"$d/want"
	if ! grep -v '^#' "$d/out/$dropin" 2>/dev/null | cmp -s - "$d/want"; then
		fail "$name: drop-in differs from what was expected (< wanted, > written):"
		grep -v '^#' "$d/out/$dropin" 2>&1 | diff "$d/want" - | sed -n 's/^[<>]/  &/p'
		return
	fi
	[ ! -s "$d/err" ] || { fail "$name: generator printed: $(cat "$d/err")"; return; }
	pass "$name"
}

# expect_nothing NAME CONFIG-TEXT|- MESSAGE-PATTERN
expect_nothing() {
	name=$1 text=$2 pattern=$3
	n=$((n + 1))
	d=$tmp/$n
	mkdir -p "$d/out"
	[ "$text" = - ] || printf '%s\n' "$text" >"$d/conf"
	"$gen" -c "$d/conf" "$d/out" "$d/out" "$d/out" 2>"$d/err"
	st=$?
	if [ $st -ne 0 ]; then
		fail "$name: exit $st, not 0 (a config error must never fail boot)"
	elif [ -n "$(ls -A "$d/out")" ]; then
		fail "$name: wrote something: $(ls -AR "$d/out")"
	elif ! grep -q "^udp-replyd-generator: $pattern" "$d/err"; then
		fail "$name: message not like '$pattern': $(cat "$d/err")"
	else
		pass "$name: $(cat "$d/err")"
	fi
}

# workers = "auto" (the default) is one worker per CPU this process may use:
# the CPUs of its affinity mask, which nproc(1) counts (OMP_NUM_THREADS and
# OMP_THREAD_LIMIT would change what nproc says, so they are unset), capped
# by the cgroup v2 CPU limit: cpu.max "QUOTA PERIOD" of the process's cgroup
# and of each cgroup above it, rounded up to whole CPUs, the smallest wins
# ("max" is no limit). At most 256 (CONFIG_WORKERS_MAX). The generator runs
# in the same environment as this script, so it must come to the same number.
auto_workers() {
	c=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc) || c=1
	cg=$(sed -n 's/^0:://p' /proc/self/cgroup 2>/dev/null)
	while [ -n "$cg" ]; do
		f=/sys/fs/cgroup${cg%/}/cpu.max
		if [ -r "$f" ] && read -r quota period <"$f" &&
		   [ "$quota" != max ] && [ "${period:-0}" -gt 0 ]; then
			q=$(((quota + period - 1) / period))
			[ "$q" -lt 1 ] || [ "$q" -ge "$c" ] || c=$q
		fi
		case $cg in
		/) cg= ;;
		/*/*) cg=${cg%/*} ;;
		*) cg=/ ;;
		esac
	done
	[ "$c" -le 256 ] || c=256
	echo "$c"
}

expect_dropin "one worker" 'workers = 1;' "$(listen 1 127.0.0.1:20001)${nl}ReusePort=yes"
expect_dropin "IPv4 address and port" 'address = "127.0.0.2";
port = 5300;
workers = 1;' "$(listen 1 127.0.0.2:5300)${nl}ReusePort=yes"
expect_dropin "all IPv4" 'address = "0.0.0.0";
workers = 1;' "$(listen 1 0.0.0.0:20001)${nl}ReusePort=yes"
expect_dropin "IPv6 loopback" 'address = "::1";
port = 20002;
workers = 1;' "$(listen 1 '[::1]:20002')${nl}ReusePort=yes"
expect_dropin "dual stack ::" 'address = "::";
port = 7;
workers = 1;' "$(listen 1 '[::]:7')${nl}ReusePort=yes${nl}BindIPv6Only=both"
# The IPv6 wildcard however it is spelt: the rule goes by the address.
expect_dropin "dual stack 0::0" 'address = "0::0";
port = 7;
workers = 1;' "$(listen 1 '[::]:7')${nl}ReusePort=yes${nl}BindIPv6Only=both"
expect_dropin "dual stack 0:0:0:0:0:0:0:0" 'address = "0:0:0:0:0:0:0:0";
workers = 1;' "$(listen 1 '[::]:20001')${nl}ReusePort=yes${nl}BindIPv6Only=both"

expect_dropin "three workers" 'workers = 3;' \
	"$(listen 3 127.0.0.1:20001)${nl}ReusePort=yes"
expect_dropin "three workers, dual stack" 'address = "::";
workers = 3;' "$(listen 3 '[::]:20001')${nl}ReusePort=yes${nl}BindIPv6Only=both"
expect_dropin "receive_buffer" 'workers = 1;
receive_buffer = 1048576;' "$(listen 1 127.0.0.1:20001)${nl}ReusePort=yes${nl}ReceiveBuffer=1048576"
expect_dropin "send_buffer" 'workers = 1;
send_buffer = 65536;' "$(listen 1 127.0.0.1:20001)${nl}ReusePort=yes${nl}SendBuffer=65536"
expect_dropin "both buffers" 'workers = 1;
send_buffer = 65536;
receive_buffer = 4096;' "$(listen 1 127.0.0.1:20001)${nl}ReusePort=yes${nl}ReceiveBuffer=4096${nl}SendBuffer=65536"
expect_dropin "receive_buffer, dual stack, 2 workers" 'address = "::";
workers = 2;
receive_buffer = 4096;' \
	"$(listen 2 '[::]:20001')${nl}ReusePort=yes${nl}BindIPv6Only=both${nl}ReceiveBuffer=4096"

auto=$(auto_workers)
expect_dropin "workers = \"auto\": $auto (CPUs this process may use)" 'workers = "auto";' \
	"$(listen "$auto" 127.0.0.1:20001)${nl}ReusePort=yes"
expect_dropin "default config: workers \"auto\", $auto" '# nothing set' \
	"$(listen "$auto" 127.0.0.1:20001)${nl}ReusePort=yes"
# With a smaller affinity mask, fewer: taskset(1) is in util-linux.
if command -v taskset >/dev/null 2>&1 && [ "$auto" -gt 1 ] &&
   first=$(taskset -pc $$ 2>/dev/null | sed -n 's/.*: *\([0-9]*\).*/\1/p') &&
   [ -n "$first" ]; then
	n=$((n + 1))
	d=$tmp/$n
	mkdir -p "$d/out"
	printf 'workers = "auto";\n' >"$d/conf"
	taskset -c "$first" "$gen" -c "$d/conf" "$d/out" 2>"$d/err"
	if [ "$(grep -c '^ListenDatagram=.' "$d/out/$dropin" 2>/dev/null)" = 1 ]; then
		pass "workers = \"auto\" on one CPU (taskset -c $first): one socket"
	else
		fail "workers = \"auto\" on one CPU (taskset -c $first): $(cat "$d/out/$dropin" "$d/err" 2>&1)"
	fi
fi

# A host name: one address per line, as the daemon binds it, each once per worker.
want=$(getent ahosts localhost | awk '$2 == "DGRAM" {
	if ($1 ~ /:/) print "[" $1 "]:20003";
	else print $1 ":20003" }' | awk '!seen[$0]++')
if [ -n "$want" ]; then
	old_ifs=$IFS
	IFS=$nl
	set -f
	# shellcheck disable=SC2086 # one argument per line
	set -- $want
	IFS=$old_ifs
	set +f
	expect_dropin "host name localhost, 2 workers" 'address = "localhost";
port = 20003;
workers = 2;' "$(listen 2 "$@")${nl}ReusePort=yes"
fi

expect_nothing "port out of range" 'port = 70000;' \
	"$tmp/[0-9]*/conf:1: port: must be an integer from 1 to 65535, not 70000; not writing"
expect_nothing "syntax error" 'address = "127.0.0.1";
port = ;' "$tmp/[0-9]*/conf:2: .*; not writing"
expect_nothing "unknown setting" 'prot = 5;' "$tmp/[0-9]*/conf:1: unknown setting \"prot\"; not writing"
expect_nothing "missing config file" - "$tmp/[0-9]*/conf:0: cannot open: No such file or directory; not writing"
expect_nothing "workers = 0" 'workers = 0;' "$tmp/[0-9]*/conf:1: workers: .*; not writing"
expect_nothing "workers = \"many\"" 'workers = "many";' "$tmp/[0-9]*/conf:1: workers: .*; not writing"
expect_nothing "receive_buffer too small" 'receive_buffer = 100;' \
	"$tmp/[0-9]*/conf:1: receive_buffer: .*; not writing"

# $UDP_REPLYD_CONFIG names the file when -c does not; -c wins over it.
d=$tmp/env
mkdir -p "$d/out" "$d/out2"
printf 'port = 6001;\n' >"$d/env.conf"
printf 'port = 6002;\n' >"$d/opt.conf"
UDP_REPLYD_CONFIG=$d/env.conf "$gen" "$d/out" 2>&1
UDP_REPLYD_CONFIG=$d/env.conf "$gen" -c "$d/opt.conf" "$d/out2" 2>&1
if grep -qx 'ListenDatagram=127.0.0.1:6001' "$d/out/$dropin" 2>/dev/null &&
   grep -qx 'ListenDatagram=127.0.0.1:6002' "$d/out2/$dropin" 2>/dev/null; then
	pass "\$UDP_REPLYD_CONFIG, and -c over it"
else
	fail "\$UDP_REPLYD_CONFIG / -c not honoured"
fi

# Wrong use is an error, not a silent success.
if "$gen" >/dev/null 2>&1; then fail "no directory: exit 0"; else pass "no directory: exit non-zero"; fi

# The drop-in, loaded the way systemd loads it, is a valid socket unit.
if command -v systemd-analyze >/dev/null 2>&1; then
	d=$tmp/verify
	mkdir -p "$d"
	printf 'address = "::";\nport = 20004;\nworkers = 2;\nreceive_buffer = 1048576;\n' >"$d/conf"
	cp "$builddir/udp-replyd.socket" "$d/"
	# The socket needs its service; verify wants the service's binary.
	sed "s|^ExecStart=[^ ]*|ExecStart=$top_builddir/src/udp-replyd|" \
		"$builddir/udp-replyd.service" >"$d/udp-replyd.service"
	"$gen" -c "$d/conf" "$d" "$d" "$d"
	if out=$(cd "$d" && systemd-analyze verify --man=no udp-replyd.socket udp-replyd.service 2>&1) &&
	   [ -z "$out" ] && [ -s "$d/$dropin" ]; then
		pass "systemd-analyze verify udp-replyd.socket with the drop-in"
	else
		fail "systemd-analyze verify udp-replyd.socket with the drop-in: $out"
	fi
fi
exit $rc

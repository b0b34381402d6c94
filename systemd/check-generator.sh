#!/bin/sh
# check-generator.sh - udp-replyd-generator turns the config file into the
# right drop-in for udp-replyd.socket, and writes nothing (exit 0, one line
# saying why) when the config cannot be used. For a host name it resolves
# nothing and writes the drop-ins that make the daemon bind its own sockets.
# It does the same for each instance, udp-replyd@NAME, from NAME.conf in the
# instances' directory, and skips the files whose names it does not take.
# It never opens a socket (no DNS, no journal: systemd.generator(7)), which
# strace(1) shows when it is installed, and run as by systemd it logs to
# /dev/kmsg.
#
# Environment (from systemd/Makefile.am): top_builddir builddir sbindir,
# absolute.
set -u
# shellcheck disable=SC2154 # the variables come from the environment
: "${top_builddir:?is set by make check}"
: "${builddir:?is set by make check}"
: "${sbindir:?is set by make check}"

gen=$top_builddir/src/udp-replyd-generator
[ -x "$gen" ] || { echo "ERROR: $gen not built"; exit 99; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-generator.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
rc=0
fail() { echo "FAIL: $*"; rc=1; }
pass() { echo "PASS: $*"; }
# Run by hand, not by systemd: messages go to stderr. No instances but
# where a case makes them: the default directory is the host's.
unset SYSTEMD_SCOPE UDP_REPLYD_CONFIG
UDP_REPLYD_CONFIG_DIR=$tmp/no-instances
export UDP_REPLYD_CONFIG_DIR

dropin=udp-replyd.socket.d/50-config.conf
service_dropin=udp-replyd.service.d/50-config.conf
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

# run_generator: the generator on $text, in a new directory $d (config in
# $d/conf, output in $d/out, stderr in $d/err); 1 after fail() if it failed.
run_generator() {
	n=$((n + 1))
	d=$tmp/$n
	mkdir -p "$d/out"
	printf '%s\n' "$text" >"$d/conf"
	"$gen" -c "$d/conf" "$d/out" "$d/out" "$d/out" 2>"$d/err" && return 0
	fail "$name: generator failed: $(cat "$d/err")"
	return 1
}

# expect_dropin NAME CONFIG-TEXT BODY
# BODY: the lines after "[Socket]" and the "ListenDatagram=" that resets the
# unit's own address; comment lines of the drop-in are not compared.
expect_dropin() {
	name=$1 text=$2 body=$3
	run_generator || return
	printf '[Socket]\nListenDatagram=\n%s\n' "$body" >"$d/want"
	if ! grep -v '^#' "$d/out/$dropin" 2>/dev/null | cmp -s - "$d/want"; then
		fail "$name: drop-in differs from what was expected (< wanted, > written):"
		grep -v '^#' "$d/out/$dropin" 2>&1 | diff "$d/want" - | sed -n 's/^[<>]/  &/p'
		return
	fi
	[ ! -s "$d/err" ] || { fail "$name: generator printed: $(cat "$d/err")"; return; }
	[ ! -e "$d/out/$service_dropin" ] ||
		{ fail "$name: an IP address, yet a service drop-in: $(cat "$d/out/$service_dropin")"; return; }
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
expect_dropin "workers not set: \"auto\", $auto" 'port = 20001;' \
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

# A host name is not resolved (the network is not up when generators run):
# the daemon binds its own sockets, resolving the name when it starts.
# hostname_dropins_ok NAME OUT-DIR UNIT FIFO SERVICE-EXTRA: OUT-DIR has both
# drop-ins of UNIT (udp-replyd or udp-replyd@INSTANCE) as they should be,
# without their comment lines; SERVICE-EXTRA: lines after the service's
# usual ones. 1 after fail() if not.
hostname_dropins_ok() {
	printf '%s\n' '[Unit]' "Wants=$3.service" '[Socket]' 'ListenDatagram=' \
		"ListenFIFO=$4" 'SocketMode=0600' 'RemoveOnStop=yes' >"$2/.want.socket"
	printf '%s\n' '[Unit]' 'Wants=network-online.target' 'After=network-online.target' \
		'[Service]' 'UnsetEnvironment=LISTEN_FDS LISTEN_PID LISTEN_FDNAMES' \
		'PrivateNetwork=no' 'RestrictAddressFamilies=AF_INET AF_INET6' 'IPAddressDeny=' \
		>"$2/.want.service"
	[ -z "$5" ] || printf '%s\n' "$5" >>"$2/.want.service"
	for unit in socket service; do
		f=$2/$3.$unit.d/50-config.conf
		if ! grep -v '^#' "$f" 2>/dev/null | cmp -s - "$2/.want.$unit"; then
			fail "$1: $3.$unit drop-in differs from what was expected (< wanted, > written):"
			grep -v '^#' "$f" 2>&1 | diff "$2/.want.$unit" - | sed -n 's/^[<>]/  &/p'
			rm -f "$2/.want.socket" "$2/.want.service"
			return 1
		fi
	done
	rm -f "$2/.want.socket" "$2/.want.service"
}
# expect_hostname NAME CONFIG-TEXT SERVICE-EXTRA: the main units' drop-ins.
expect_hostname() {
	name=$1 text=$2 extra=$3
	run_generator || return
	hostname_dropins_ok "$name" "$d/out" udp-replyd /run/udp-replyd-start.fifo "$extra" ||
		return
	if grep -q '^udp-replyd-generator: .*/conf:[1-9][0-9]*: address "[^"]*" is a host name, which a generator does not resolve; udp-replyd will bind its own sockets' "$d/err" &&
	   [ "$(wc -l <"$d/err")" = 1 ]; then
		pass "$name: $(cat "$d/err")"
	else
		fail "$name: not the one line about the host name: $(cat "$d/err")"
	fi
}
expect_hostname "host name localhost, 2 workers" 'address = "localhost";
port = 20003;
workers = 2;' ''
# A name that no resolver knows is no different: nothing asks.
expect_hostname "host name nosuch.invalid" 'address = "nosuch.invalid";' ''
expect_hostname "host name, port 53: CAP_NET_BIND_SERVICE" 'address = "localhost";
port = 53;' 'PrivateUsers=no
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
AmbientCapabilities=CAP_NET_BIND_SERVICE'
expect_hostname "host name, port 1024: no capability" 'address = "localhost";
port = 1024;' ''
# Several services: the daemon binds either all its sockets or none, so one
# host name is enough, and a port below 1024 in any service needs the
# capability.
expect_dropin "two services, IP addresses" 'workers = 1;
services = ( { address = "127.0.0.1"; port = 7000; },
	     { address = "::1"; port = 7001; } );' \
	"$(listen 1 127.0.0.1:7000 '[::1]:7001')${nl}ReusePort=yes"
expect_hostname "two services, the second a host name, the first on port 99" 'services = (
	{ address = "127.0.0.1"; port = 99; },
	{ address = "localhost"; port = 5353; } );' 'PrivateUsers=no
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
AmbientCapabilities=CAP_NET_BIND_SERVICE'

expect_nothing "port out of range" 'port = 70000;' \
	"$tmp/[0-9]*/conf:1: port: must be an integer from 1 to 65535, not 70000; not writing"
expect_nothing "syntax error" 'address = "127.0.0.1";
port = ;' "$tmp/[0-9]*/conf:2: .*; not writing"
expect_nothing "unknown setting" 'prot = 5;' "$tmp/[0-9]*/conf:1: unknown setting \"prot\"; not writing"
expect_nothing "missing config file" - "$tmp/[0-9]*/conf:0: cannot open: No such file or directory; not writing"
expect_nothing "workers = 0" 'workers = 0;' "$tmp/[0-9]*/conf:1: workers: .*; not writing"
expect_nothing "workers = \"many\"" 'workers = "many";' "$tmp/[0-9]*/conf:1: workers: .*; not writing"
# An empty file (truncated while being edited, say) is refused, not read as
# the defaults; the socket keeps its own.
expect_nothing "empty config" '# nothing set' "$tmp/[0-9]*/conf:0: .*; not writing"
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

# Instances: each NAME.conf in the instances' directory (-d, else
# $UDP_REPLYD_CONFIG_DIR) gets the drop-ins of udp-replyd@NAME.socket (and
# .service), beside the main file's, and one file's trouble is its own: a
# broken one gets no drop-in, so its socket, which has no address in its
# unit file, does not start; a name that is not a plain instance name
# (letters, digits, "_", "." and "-") is skipped; hidden files and other
# suffixes are not looked at.
inst=$tmp/instances
mkdir -p "$inst/etc" "$inst/out" "$inst/out-env" "$inst/out-both"
printf 'address = "127.0.0.2";\nport = 6000;\nworkers = 1;\n' >"$inst/main.conf"
printf 'address = "127.0.0.3";\nport = 7101;\nworkers = 2;\nreceive_buffer = 4096;\n' \
	>"$inst/etc/a.conf"
printf 'address = "localhost";\nport = 53;\n' >"$inst/etc/b.conf"
printf 'port = 7103;\n' >"$inst/etc/c d.conf"
printf 'port = 7104;\n' >"$inst/etc/back\\slash.conf"
printf 'port = 70000;\n' >"$inst/etc/broken.conf"
printf 'port = 7105;\n' >"$inst/etc/.hidden.conf"
printf 'port = 7106;\n' >"$inst/etc/old.conf.dpkg-old"
printf 'port = 7107;\n' >"$inst/etc/README"
# instances_ok NAME OUT-DIR ERR-FILE: the drop-ins and messages wanted.
instances_ok() {
	name=$1 out=$2 err=$3
	printf '%s\n' udp-replyd.socket.d/50-config.conf \
		udp-replyd@a.socket.d/50-config.conf udp-replyd@b.service.d/50-config.conf \
		udp-replyd@b.socket.d/50-config.conf >"$inst/want.files"
	(cd "$out" && find . -type f | sed 's|^\./||' | LC_ALL=C sort) >"$inst/got.files"
	if ! cmp -s "$inst/want.files" "$inst/got.files"; then
		fail "$name: not the drop-ins wanted (< wanted, > written):"
		diff "$inst/want.files" "$inst/got.files" | sed -n 's/^[<>]/  &/p'
		return
	fi
	if ! grep -qx 'ListenDatagram=127.0.0.2:6000' "$out/udp-replyd.socket.d/50-config.conf"; then
		fail "$name: the main socket's drop-in: $(cat "$out/udp-replyd.socket.d/50-config.conf")"
		return
	fi
	printf '[Socket]\nListenDatagram=\n%s\nReusePort=yes\nReceiveBuffer=4096\n' \
		"$(listen 2 127.0.0.3:7101)" >"$inst/want.a"
	if ! grep -v '^#' "$out/udp-replyd@a.socket.d/50-config.conf" | cmp -s - "$inst/want.a"; then
		fail "$name: udp-replyd@a.socket drop-in differs (< wanted, > written):"
		grep -v '^#' "$out/udp-replyd@a.socket.d/50-config.conf" | diff "$inst/want.a" - |
			sed -n 's/^[<>]/  &/p'
		return
	fi
	grep -q 'systemctl restart udp-replyd@a\.socket$' "$out/udp-replyd@a.socket.d/50-config.conf" ||
		{ fail "$name: udp-replyd@a's drop-in names another unit to restart"; return; }
	# Its own FIFO: two instances with host names must not share one.
	hostname_dropins_ok "$name" "$out" udp-replyd@b /run/udp-replyd-start@b.fifo \
		'PrivateUsers=no
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
AmbientCapabilities=CAP_NET_BIND_SERVICE' || return
	# One line each, in name order: b, broken, "back\slash", "c d".
	e=$inst/etc
	if [ "$(wc -l <"$err")" = 4 ] &&
	   sed -n 1p "$err" | grep -qxF "udp-replyd-generator: $e/b.conf:1: address \"localhost\" is a host name, which a generator does not resolve; udp-replyd@b will bind its own sockets, resolving it when it starts once the network is online, and udp-replyd@b.socket listens on no network address" &&
	   sed -n 2p "$err" | grep -qxF "udp-replyd-generator: $e/back\\slash.conf: skipped: an instance name is 1 to 200 letters, digits, \"_\", \".\" and \"-\", not beginning with \".\"" &&
	   sed -n 3p "$err" | grep -qx "udp-replyd-generator: $e/broken\.conf:1: port: .*; not writing the udp-replyd@broken\.socket\.d drop-in, so the socket, which has no address of its own, will not start" &&
	   sed -n 4p "$err" | grep -qxF "udp-replyd-generator: $e/c d.conf: skipped: an instance name is 1 to 200 letters, digits, \"_\", \".\" and \"-\", not beginning with \".\""; then
		pass "$name: udp-replyd@a (IP address), udp-replyd@b (host name); \"broken\" and two bad names said why, in order"
	else
		fail "$name: not the four lines about b, broken, back\\slash and \"c d\": $(cat "$err")"
	fi
}
"$gen" -c "$inst/main.conf" -d "$inst/etc" "$inst/out" "$inst/out" "$inst/out" 2>"$inst/err"
st=$?
[ $st = 0 ] || fail "instances: exit $st, not 0 (a broken instance must not fail boot)"
instances_ok "instances (-d)" "$inst/out" "$inst/err"
UDP_REPLYD_CONFIG_DIR=$inst/etc "$gen" -c "$inst/main.conf" "$inst/out-env" 2>"$inst/err-env"
instances_ok "instances (\$UDP_REPLYD_CONFIG_DIR)" "$inst/out-env" "$inst/err-env"
UDP_REPLYD_CONFIG_DIR=$tmp/nowhere "$gen" -c "$inst/main.conf" -d "$inst/etc" "$inst/out-both" \
	2>"$inst/err-both"
instances_ok "instances (-d over \$UDP_REPLYD_CONFIG_DIR)" "$inst/out-both" "$inst/err-both"

# No socket at all, whatever the config: no DNS, no nscd or nss-resolve
# over AF_UNIX, no journal, no netlink; and none of the resolver's files is
# read. strace(1) shows every such system call, of the generator and of
# whatever library it calls.
if command -v strace >/dev/null 2>&1 && strace -f -qq -o /dev/null true 2>/dev/null; then
	have_strace=1
else
	have_strace=
	echo "SKIP: strace not installed or not permitted: no check that the generator opens no socket (apt-get install strace)"
fi
# traced_clean NAME TRACE-FILE
traced_clean() {
	if [ ! -s "$2" ]; then
		fail "$1: strace wrote nothing"
	elif grep -vE '^[0-9]+ +(open|openat)\(' "$2" | grep -q .; then
		fail "$1: network system calls: $(grep -vE '^[0-9]+ +(open|openat)\(' "$2" | head -n 5)"
	elif grep -qE 'nsswitch\.conf|/etc/hosts|resolv\.conf|host\.conf|gai\.conf|libnss_|nscd' "$2"; then
		fail "$1: looked up a name: $(grep -E 'nsswitch|hosts|resolv|host\.conf|gai\.conf|libnss_|nscd' "$2" | head -n 5)"
	else
		pass "$1: no socket, no resolver (strace)"
	fi
}
# LeakSanitizer cannot run under ptrace (it aborts): a sanitizer build is
# traced without it (its leak checks run in the cases above).
traced_asan=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
if [ -n "$have_strace" ]; then
	for c in 'address = "localhost";' 'address = "nosuch.invalid";' \
		 'address = "127.0.0.1";' 'address = "::";' 'port = 70000;'; do
		n=$((n + 1))
		d=$tmp/$n
		mkdir -p "$d/out"
		printf '%s\n' "$c" >"$d/conf"
		ASAN_OPTIONS=$traced_asan strace -f -qq -o "$d/trace" -e trace=%network,open,openat \
			"$gen" -c "$d/conf" "$d/out" 2>"$d/err"
		traced_clean "config '$c'" "$d/trace"
	done
	mkdir -p "$inst/out-strace"
	ASAN_OPTIONS=$traced_asan strace -f -qq -o "$inst/trace" -e trace=%network,open,openat \
		"$gen" -c "$inst/main.conf" -d "$inst/etc" "$inst/out-strace" 2>/dev/null
	traced_clean "instances, one with a host name" "$inst/trace"
fi

# Run as by systemd ($SYSTEMD_SCOPE set), messages go to the kernel log, as
# systemd's own generators' do: one record each, facility daemon. A file
# bound over /dev/kmsg in a mount namespace of our own stands in for it, so
# nothing reaches the real kernel log. With no /dev/kmsg at all (as in a
# systemd-nspawn container) they go to stderr.
if [ "$(id -u)" = 0 ] && [ -c /dev/kmsg ] && command -v unshare >/dev/null 2>&1 &&
   unshare -m true 2>/dev/null; then
	d=$tmp/kmsg
	mkdir -p "$d/out" "$d/out2" "$d/out3"
	printf 'address = "localhost";\n' >"$d/name.conf"
	printf 'port = 70000;\n' >"$d/bad.conf"
	# kmsg_run KMSG-FILE TRACE-FILE|"" CONFIG OUT-DIR: as systemd runs it
	kmsg_run() {
		: >"$1"
		# shellcheck disable=SC2016 # expanded by the inner sh
		SYSTEMD_SCOPE=system traced_asan=$traced_asan unshare -m sh -c '
			mount --bind "$1" /dev/kmsg || exit 99
			if [ -n "$2" ]; then
				exec env ASAN_OPTIONS="$traced_asan" strace -f -qq -o "$2" \
					-e trace=%network,open,openat "$3" -c "$4" "$5"
			fi
			exec "$3" -c "$4" "$5"' sh "$1" "$2" "$gen" "$3" "$4"
	}
	kmsg_run "$d/kmsg" "${have_strace:+$d/trace}" "$d/name.conf" "$d/out" 2>"$d/err"
	kmsg_run "$d/kmsg2" "" "$d/bad.conf" "$d/out2" 2>>"$d/err"
	if grep -qE '^<29>udp-replyd-generator\[[0-9]+\]: .*/name\.conf:1: address "localhost" is a host name' "$d/kmsg" &&
	   grep -qE '^<27>udp-replyd-generator\[[0-9]+\]: .*/bad\.conf:1: port: .*; not writing' "$d/kmsg2" &&
	   [ "$(cat "$d/kmsg" "$d/kmsg2" | wc -l)" = 2 ] && [ ! -s "$d/err" ]; then
		pass "SYSTEMD_SCOPE set: to /dev/kmsg, <29> notice and <27> error, nothing on stderr"
	else
		fail "SYSTEMD_SCOPE set: not the two kmsg records: kmsg: $(cat "$d/kmsg" "$d/kmsg2"); stderr: $(cat "$d/err")"
	fi
	[ -z "$have_strace" ] || traced_clean "SYSTEMD_SCOPE set (so no journal either)" "$d/trace"
	# shellcheck disable=SC2016 # expanded by the inner sh
	SYSTEMD_SCOPE=system unshare -m sh -c 'mount -t tmpfs tmpfs /dev || exit 99; "$1" -c "$2" "$3"' \
		sh "$gen" "$d/name.conf" "$d/out3" 2>"$d/err3"
	if grep -q '^udp-replyd-generator: .*/name\.conf:1: address "localhost" is a host name' "$d/err3"; then
		pass "SYSTEMD_SCOPE set, no /dev/kmsg: to stderr"
	else
		fail "SYSTEMD_SCOPE set, no /dev/kmsg: not on stderr: $(cat "$d/err3")"
	fi
else
	echo "SKIP: not root, no /dev/kmsg or no unshare -m: the kmsg channel is not checked"
fi

# The generator's own code calls nothing that talks to another process.
obj=$top_builddir/src/udp-replyd-generator.o
talk='^(sd_|socket$|connect$|send|bind$|gethostby|getaddrinfo_a$|res_)'
if command -v nm >/dev/null 2>&1 && [ -f "$obj" ]; then
	calls=$(nm -u "$obj" | awk '{ sub(/@.*/, "", $2); print $2 }' | grep -E "$talk" | tr '\n' ' ')
	if [ -z "$calls" ]; then
		pass "udp-replyd-generator.o calls no sd_*, socket, connect, send*"
	else
		fail "udp-replyd-generator.o calls $calls"
	fi
	# Nor does anything it links (workers.c, not generation.c, counts the CPUs).
	linked=$(nm -u "$gen" | awk '{ sub(/@.*/, "", $2); print $2 }' | grep -E "$talk" | sort -u | tr '\n' ' ')
	if [ -z "$linked" ]; then
		pass "udp-replyd-generator links no sd_*, socket, connect, send*"
	else
		fail "udp-replyd-generator links $linked"
	fi
else
	echo "SKIP: no nm or no $obj: the generator's calls are not checked"
fi

# Wrong use is an error, not a silent success.
if "$gen" >/dev/null 2>&1; then fail "no directory: exit 0"; else pass "no directory: exit non-zero"; fi

# The drop-ins, loaded the way systemd loads them (verify reads NAME.d/ next
# to the units), make valid units; for a host name, the service's too.
# verify NAME CONFIG-TEXT yes|no (a service drop-in too?)
verify() {
	name=$1 text=$2 service=$3
	d=$tmp/verify-$name
	mkdir -p "$d"
	printf '%s\n' "$text" >"$d/conf"
	cp "$builddir/udp-replyd.socket" "$d/"
	# The socket needs its service; verify wants the service's programs.
	sed "s|$sbindir/|$top_builddir/src/|g" "$builddir/udp-replyd.service" \
		>"$d/udp-replyd.service"
	"$gen" -c "$d/conf" "$d" "$d" "$d" 2>/dev/null
	if out=$(cd "$d" && systemd-analyze verify --man=no udp-replyd.socket udp-replyd.service 2>&1) &&
	   [ -z "$out" ] && [ -s "$d/$dropin" ] &&
	   if [ "$service" = yes ]; then [ -s "$d/$service_dropin" ]; else [ ! -e "$d/$service_dropin" ]; fi; then
		pass "systemd-analyze verify the units with the drop-ins ($name)"
	else
		fail "systemd-analyze verify the units with the drop-ins ($name): $out $(cd "$d" && echo *.d)"
	fi
}
if command -v systemd-analyze >/dev/null 2>&1; then
	verify "IP address" 'address = "::";
port = 20004;
workers = 2;
receive_buffer = 1048576;' no
	verify "host name" 'address = "localhost";
port = 53;' yes
	# The instances' drop-ins on the templates: udp-replyd@a (IP address)
	# and udp-replyd@b (host name) from the directory above.
	d=$tmp/verify-instances
	mkdir -p "$d"
	cp "$builddir/udp-replyd@.socket" "$d/"
	sed "s|$sbindir/|$top_builddir/src/|g" "$builddir/udp-replyd@.service" \
		>"$d/udp-replyd@.service"
	"$gen" -c "$inst/main.conf" -d "$inst/etc" "$d" "$d" "$d" 2>/dev/null
	if out=$(cd "$d" && systemd-analyze verify --man=no udp-replyd@a.socket \
			udp-replyd@a.service udp-replyd@b.socket udp-replyd@b.service 2>&1) &&
	   [ -z "$out" ] && [ -s "$d/udp-replyd@a.socket.d/50-config.conf" ] &&
	   [ -s "$d/udp-replyd@b.service.d/50-config.conf" ]; then
		pass "systemd-analyze verify udp-replyd@a and udp-replyd@b with their drop-ins"
	else
		fail "systemd-analyze verify udp-replyd@a and udp-replyd@b with their drop-ins: $out $(cd "$d" && echo *.d)"
	fi
else
	echo "SKIP: no systemd-analyze: the drop-ins are not verified"
fi
exit $rc

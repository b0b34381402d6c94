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

# expect_dropin NAME CONFIG-TEXT LISTEN-LINES...
expect_dropin() {
	name=$1 text=$2
	shift 2
	n=$((n + 1))
	d=$tmp/$n
	mkdir -p "$d/out"
	printf '%s\n' "$text" >"$d/conf"
	if ! "$gen" -c "$d/conf" "$d/out" "$d/out" "$d/out" 2>"$d/err"; then
		fail "$name: generator failed: $(cat "$d/err")"
		return
	fi
	{
		echo "[Socket]"
		echo "ListenDatagram="
		for l in "$@"; do echo "$l"; done
	} >"$d/want"
	if ! grep -v '^#' "$d/out/$dropin" 2>/dev/null | cmp -s - "$d/want"; then
		fail "$name: drop-in differs from what was expected:"
		cat "$d/out/$dropin" 2>&1
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

expect_dropin "default config" '# nothing set' 'ListenDatagram=127.0.0.1:20001'
expect_dropin "IPv4 address and port" 'address = "127.0.0.2";
port = 5300;' 'ListenDatagram=127.0.0.2:5300'
expect_dropin "all IPv4" 'address = "0.0.0.0";' 'ListenDatagram=0.0.0.0:20001'
expect_dropin "IPv6 loopback" 'address = "::1";
port = 20002;' 'ListenDatagram=[::1]:20002'
expect_dropin "dual stack ::" 'address = "::";
port = 7;' 'ListenDatagram=[::]:7' 'BindIPv6Only=both'

# A host name: one line per address it resolves to, as the daemon binds it.
want=$(getent ahosts localhost | awk '$2 == "DGRAM" {
	if ($1 ~ /:/) print "ListenDatagram=[" $1 "]:20003";
	else print "ListenDatagram=" $1 ":20003" }' | awk '!seen[$0]++')
if [ -n "$want" ]; then
	old_ifs=$IFS
	IFS='
'
	set -f
	# shellcheck disable=SC2086 # one argument per line
	set -- $want
	IFS=$old_ifs
	set +f
	expect_dropin "host name localhost" 'address = "localhost";
port = 20003;' "$@"
fi

expect_nothing "port out of range" 'port = 70000;' \
	"$tmp/[0-9]*/conf:1: port: must be an integer from 1 to 65535, not 70000; not writing"
expect_nothing "syntax error" 'address = "127.0.0.1";
port = ;' "$tmp/[0-9]*/conf:2: .*; not writing"
expect_nothing "unknown setting" 'prot = 5;' "$tmp/[0-9]*/conf:1: unknown setting \"prot\"; not writing"
expect_nothing "missing config file" - "$tmp/[0-9]*/conf:0: cannot open: No such file or directory; not writing"

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
	printf 'address = "::";\nport = 20004;\n' >"$d/conf"
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

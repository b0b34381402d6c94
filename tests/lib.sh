# lib.sh - sourced by every integration test (POSIX sh; dash and bash)
#
# Gives each test its own temp dir ($T) and free ports, starts the daemon with
# a NOTIFY_SOCKET listener and waits for its READY=1, and on exit kills
# exactly the processes the test started. Every wait is bounded; none is a
# fixed sleep.
#
# Environment (set by tests/Makefile.am; defaults for running a test by hand):
#   top_srcdir top_builddir UDP_REPLYD UDPSEND UDPPROBE
#   UDP_REPLYD_NO_SKIP=1     a skip is a hard error (exit 99), for CI
#   UDP_REPLYD_TEST_WAIT=N   seconds any single wait may take (default 10)
#   UDP_REPLYD_KEEP_TMP=1    keep the temp dir for a post-mortem

set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${UDP_REPLYD:=$top_builddir/src/udp-replyd}"
: "${UDPSEND:=$top_builddir/src/udpsend}"
: "${UDPPROBE:=$top_builddir/tests/udpprobe}"
: "${UDP_REPLYD_TEST_WAIT:=10}"
export top_srcdir top_builddir UDP_REPLYD UDPSEND UDPPROBE

TEST_NAME=$(basename "$0" .sh)
T=
LOG_TARGET=console	# start_daemon's --log-target
DAEMON_PID=
DAEMON_RC=
DAEMON_LOG=/dev/null
NOTIFY_OUT=/dev/null
_lib_pids=		# every background process this test started
_lib_ports=		# port reservations to release
_lib_ndaemon=0
_lib_port_locks=${TMPDIR:-/tmp}/udp-replyd-test-ports-$(id -u)

note() {
	printf '# %s\n' "$*"
}

# Show what the daemon said, for the log of a failed test.
_lib_dump() {
	for _f in "$T"/daemon*.log "$T"/notify*.out "$T"/*.err; do
		[ -s "$_f" ] || continue
		printf '# ---- %s (last 40 lines)\n' "${_f#"$T"/}"
		tail -n 40 "$_f" | sed 's/^/# | /'
	done
}

fail() {
	printf 'FAIL: %s: %s\n' "$TEST_NAME" "$*" >&2
	_lib_dump >&2
	exit 1
}

# shellcheck source=skip.sh
. "$top_srcdir/tests/skip.sh"

# A broken test setup (not a daemon failure): 99 for automake.
hard_error() {
	printf 'ERROR: %s: %s\n' "$TEST_NAME" "$*" >&2
	_lib_dump >&2
	exit 99
}

_lib_now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# Is pid running (not gone, not a zombie waiting for us)?
alive() {
	[ -r "/proc/$1/stat" ] || return 1
	_state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 1
	[ -n "$_state" ] && [ "$_state" != Z ] && [ "$_state" != X ]
}

# poll_until SECONDS CMD [ARGS]: run CMD until it succeeds; 1 when time is up.
poll_until() {
	_pu_deadline=$(($(_lib_now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(_lib_now_ms)" -lt "$_pu_deadline" ] || return 1
		sleep 0.05 # poll
	done
	return 0
}

# Remember a background process so that the exit trap ends it.
track_pid() {
	_lib_pids="$_lib_pids $1"
}

untrack_pid() {
	_up_new=
	for _up in $_lib_pids; do
		[ "$_up" = "$1" ] || _up_new="$_up_new $_up"
	done
	_lib_pids=$_up_new
}

# all_gone PID...: is none of them running?
all_gone() {
	for _p in "$@"; do
		alive "$_p" && return 1
	done
	return 0
}

_lib_cleanup() {
	_lib_rc=$?
	set +e
	trap - EXIT INT TERM HUP
	if [ -n "$_lib_pids" ]; then
		for _p in $_lib_pids; do
			alive "$_p" || continue
			kill -CONT "$_p" 2>/dev/null
			kill -TERM "$_p" 2>/dev/null
		done
		# shellcheck disable=SC2086 # a list of pids
		if ! poll_until 5 all_gone $_lib_pids; then
			for _p in $_lib_pids; do
				alive "$_p" && kill -KILL "$_p" 2>/dev/null
			done
		fi
		for _p in $_lib_pids; do
			wait "$_p" 2>/dev/null
		done
	fi
	for _p in $_lib_ports; do
		rmdir "$_lib_port_locks/$_p" 2>/dev/null
	done
	if [ "${UDP_REPLYD_KEEP_TMP:-0}" = 1 ]; then
		note "kept $T"
	else
		rm -rf "$T"
	fi
	exit "$_lib_rc"
}

T=$(mktemp -d "${TMPDIR:-/tmp}/udp-replyd-$TEST_NAME.XXXXXX") ||
	hard_error "mktemp failed"
trap _lib_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

for _prog in "$UDP_REPLYD" "$UDPSEND" "$UDPPROBE"; do
	[ -x "$_prog" ] || hard_error "$_prog is not built"
done

# UDP_REPLYD_VALGRIND=1 (see .ci/run): the daemon and the client run under
# valgrind, and any error or leak turns into exit 98, which fails the test.
if [ "${UDP_REPLYD_VALGRIND:-0}" = 1 ]; then
	for _prog in UDP_REPLYD UDPSEND; do
		eval "_real=\$$_prog"
		printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$top_srcdir/tests/valgrind-wrap" "$_real" \
			>"$T/$_prog.valgrind"
		chmod +x "$T/$_prog.valgrind"
		eval "$_prog=\$T/\$_prog.valgrind"
	done
	UDP_REPLYD_TEST_WAIT=$((UDP_REPLYD_TEST_WAIT * 3))
fi

# free_port VAR: a UDP (and TCP) port free on 127.0.0.1 and ::1, reserved
# against the other tests of this run, into VAR.
free_port() {
	mkdir -p "$_lib_port_locks" 2>/dev/null || true
	_fp_try=0
	while :; do
		_fp=$("$UDPPROBE" freeport) || hard_error "udpprobe freeport failed"
		if [ ! -w "$_lib_port_locks" ]; then
			# No reservations possible: the kernel's answer alone.
			eval "$1=\$_fp"
			return 0
		fi
		if mkdir "$_lib_port_locks/$_fp" 2>/dev/null; then
			_lib_ports="$_lib_ports $_fp"
			eval "$1=\$_fp"
			return 0
		fi
		_fp_try=$((_fp_try + 1))
		[ "$_fp_try" -lt 50 ] || hard_error "no free port found"
	done
}

# Does this host have a usable ::1?
have_ipv6() {
	[ -e /proc/net/if_inet6 ] && grep -q '^0\{31\}1 ' /proc/net/if_inet6
}

# write_conf FILE KEY=VALUE...: port and buffer_size are written as
# integers, everything else as a string (VALUE in libconfig's escapes);
# raw=TEXT adds TEXT as a line of its own.
write_conf() {
	_wc_file=$1
	shift
	: >"$_wc_file"
	for _kv in "$@"; do
		_k=${_kv%%=*}
		_v=${_kv#*=}
		case $_k in
		port | buffer_size) printf '%s = %s;\n' "$_k" "$_v" ;;
		raw) printf '%s\n' "$_v" ;;
		*) printf '%s = "%s";\n' "$_k" "$_v" ;;
		esac >>"$_wc_file"
	done
}

# start_notify SOCKET OUTFILE: a NOTIFY_SOCKET listener, bound when this returns.
start_notify() {
	"$UDPPROBE" notify -t 300 "$1" >"$2" 2>>"$T/notify.err" &
	track_pid $!
	poll_until "$UDP_REPLYD_TEST_WAIT" test -S "$1" ||
		hard_error "notify listener did not bind $1"
}

# start_daemon_cmd CMD [ARGS]: run CMD in the background with its own
# NOTIFY_SOCKET listener, stderr in $DAEMON_LOG; does not wait.
start_daemon_cmd() {
	_lib_ndaemon=$((_lib_ndaemon + 1))
	NOTIFY_SOCK=$T/notify$_lib_ndaemon.sock
	NOTIFY_OUT=$T/notify$_lib_ndaemon.out
	DAEMON_LOG=$T/daemon$_lib_ndaemon.log
	start_notify "$NOTIFY_SOCK" "$NOTIFY_OUT"
	NOTIFY_SOCKET=$NOTIFY_SOCK "$@" >"$T/daemon$_lib_ndaemon.out" 2>"$DAEMON_LOG" </dev/null &
	DAEMON_PID=$!
	DAEMON_RC=
	track_pid "$DAEMON_PID"
}

# start_daemon CONF [ARGS]: start the daemon and wait for its READY=1.
start_daemon() {
	_sd_conf=$1
	shift
	start_daemon_cmd "$UDP_REPLYD" -c "$_sd_conf" --log-target="$LOG_TARGET" "$@"
	wait_notify -F READY=1
}

# _lib_count FILE -E|-F PATTERN: how many lines of FILE match.
_lib_count() {
	_lc=$(grep -c "$2" -e "$3" "$1" 2>/dev/null) || true
	echo "${_lc:-0}"
}

_lib_wait_for() {
	_wf_what=$1
	_wf_file=$2
	shift 2
	_wf_mode=-E
	if [ "$1" = -F ]; then
		_wf_mode=-F
		shift
	fi
	_wf_pattern=$1
	_wf_count=${2:-1}
	_wf_deadline=$(($(_lib_now_ms) + UDP_REPLYD_TEST_WAIT * 1000))
	while [ "$(_lib_count "$_wf_file" "$_wf_mode" "$_wf_pattern")" -lt "$_wf_count" ]; do
		if [ -n "$DAEMON_PID" ] && ! alive "$DAEMON_PID"; then
			# It may have written the line just before it went.
			[ "$(_lib_count "$_wf_file" "$_wf_mode" "$_wf_pattern")" -ge "$_wf_count" ] &&
				return 0
			_wf_rc=0
			wait "$DAEMON_PID" || _wf_rc=$?
			untrack_pid "$DAEMON_PID"
			DAEMON_PID=
			fail "daemon exited ($_wf_rc) before $_wf_what '$_wf_pattern' (x$_wf_count)"
		fi
		[ "$(_lib_now_ms)" -lt "$_wf_deadline" ] ||
			fail "no $_wf_what '$_wf_pattern' (x$_wf_count) within ${UDP_REPLYD_TEST_WAIT}s"
		sleep 0.05 # poll
	done
}

# wait_notify [-F] PATTERN [COUNT]: wait until COUNT (default 1) lines the
# daemon sent to NOTIFY_SOCKET match PATTERN (extended regex, -F fixed).
wait_notify() {
	_lib_wait_for "notify line" "$NOTIFY_OUT" "$@"
}

# wait_log [-F] PATTERN [COUNT]: the same for the daemon's stderr log.
wait_log() {
	_lib_wait_for "log line" "$DAEMON_LOG" "$@"
}

# count_log [-F] PATTERN: how many log lines match now.
count_log() {
	if [ "$1" = -F ]; then
		_lib_count "$DAEMON_LOG" -F "$2"
	else
		_lib_count "$DAEMON_LOG" -E "$1"
	fi
}

# wait_exit: wait (bounded) for the daemon to exit by itself; its exit code
# is returned and left in DAEMON_RC.
wait_exit() {
	[ -n "$DAEMON_PID" ] || hard_error "wait_exit: no daemon"
	poll_until "$UDP_REPLYD_TEST_WAIT" _lib_daemon_gone ||
		fail "daemon $DAEMON_PID did not exit within ${UDP_REPLYD_TEST_WAIT}s"
	DAEMON_RC=0
	wait "$DAEMON_PID" || DAEMON_RC=$?
	untrack_pid "$DAEMON_PID"
	DAEMON_PID=
	return "$DAEMON_RC"
}

_lib_daemon_gone() {
	! alive "$DAEMON_PID"
}

# stop_daemon [SIGNAL]: send SIGNAL (default TERM), wait (bounded); returns
# the daemon's exit code, also left in DAEMON_RC.
stop_daemon() {
	[ -n "$DAEMON_PID" ] || hard_error "stop_daemon: no daemon"
	kill -"${1:-TERM}" "$DAEMON_PID" 2>/dev/null || true
	wait_exit
}

# expect_exit CODE CMD...: CMD must exit with CODE.
expect_exit() {
	_ee_want=$1
	shift
	_ee_rc=0
	"$@" || _ee_rc=$?
	[ "$_ee_rc" = "$_ee_want" ] || fail "exit code $_ee_rc, wanted $_ee_want: $*"
}

# ask HOST PORT [udpprobe ask args...]: one datagram, the reply into
# $T/reply (first line "from ADDR PORT LEN", then the bytes).
ask() {
	"$UDPPROBE" ask -t 3 "$@" >"$T/reply" || fail "no reply from udpprobe ask $*"
}

# assert_reply_from ADDR PORT LEN: the last ask's reply header.
assert_reply_from() {
	_arf=$(head -n 1 "$T/reply")
	[ "$_arf" = "from $1 $2 $3" ] || fail "reply header '$_arf', wanted 'from $1 $2 $3'"
}

# reply_body FILE: the last ask's reply bytes into FILE.
reply_body() {
	tail -n +2 "$T/reply" >"$1"
}

assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-value}: got '$1', wanted '$2'"
}

# assert_file_eq FILE TEXT: FILE holds exactly TEXT (no newline added).
assert_file_eq() {
	printf '%s' "$2" >"$T/expected"
	cmp -s "$1" "$T/expected" ||
		fail "$1 holds '$(od -c "$1" | head -n 3)', wanted '$2'"
}

# assert_log [-F] PATTERN: a log line matches now.
assert_log() {
	[ "$(count_log "$@")" -ge 1 ] || fail "no log line '$*'"
}

# ---- a private systemd-journald (root only), as t-journal.sh runs one ----

# The journal records' MESSAGE_ID, without its last two digits.
# shellcheck disable=SC2034 # used by the tests that source this
UDP_REPLYD_MSGID=4f0d5f1c8a6e4b7fa3c1d2e9b8a7f6
JOURNAL_DIR=/run/log/journal
JOURNAL_SOCKET=/run/systemd/journal/socket
JOURNALD=
JOURNALD_PID=
_lib_njournald=0

# enter_private_mount_ns "$@": call first thing. As root, re-runs this test
# (once) in a private mount namespace with empty tmpfs over /run/systemd and
# /run/log: no journald listens there until start_private_journald. Skips
# when not root.
enter_private_mount_ns() {
	[ "$(id -u)" = 0 ] || skip "needs root (mount namespace and a journald of its own)"
	for _t in jq journalctl unshare mount; do
		command -v "$_t" >/dev/null || hard_error "$_t not installed"
	done
	if [ "${UDP_REPLYD_IN_MOUNT_NS:-0}" != 1 ]; then
		_rc=0
		UDP_REPLYD_IN_MOUNT_NS=1 unshare --mount --propagation private -- "$0" "$@" || _rc=$?
		exit "$_rc"
	fi
	for _d in /run/systemd /run/log; do
		[ -d "$_d" ] || mkdir -p "$_d"
		mount -t tmpfs -o mode=0755,size=64m tmpfs "$_d" || hard_error "cannot mount tmpfs on $_d"
	done
}

# enter_private_net_ns WHY "$@": call first thing. As root, re-runs this test
# (once) in a network namespace of its own with lo up: what it sends, and the
# namespace's counters, are its alone. Skips when not root (WHY says what for).
enter_private_net_ns() {
	_why=$1
	shift
	[ "$(id -u)" = 0 ] || skip "needs root ($_why)"
	for _t in unshare ip; do
		command -v "$_t" >/dev/null || hard_error "$_t not installed"
	done
	if [ "${UDP_REPLYD_IN_NET_NS:-0}" != 1 ]; then
		_rc=0
		UDP_REPLYD_IN_NET_NS=1 unshare --net -- sh "$0" "$@" || _rc=$?
		exit "$_rc"
	fi
	ip link set lo up || hard_error "cannot bring up lo in the network namespace"
}

# start_private_journald: start systemd-journald in the private namespace
# (volatile storage in $JOURNAL_DIR, no rate limit, nothing forwarded) and
# wait for its READY=1; its pid in JOURNALD_PID. May be called again after
# stop_private_journald: the new one opens the same journal.
start_private_journald() {
	[ "${UDP_REPLYD_IN_MOUNT_NS:-0}" = 1 ] ||
		hard_error "start_private_journald needs enter_private_mount_ns first"
	if [ -z "$JOURNALD" ]; then
		for _j in /lib/systemd/systemd-journald /usr/lib/systemd/systemd-journald; do
			[ -x "$_j" ] && JOURNALD=$_j && break
		done
		[ -n "$JOURNALD" ] || hard_error "systemd-journald not installed"
	fi
	mkdir -p /run/systemd/journald.conf.d
	cat >/run/systemd/journald.conf.d/udp-replyd-test.conf <<'EOT'
[Journal]
Storage=volatile
RateLimitIntervalSec=0
RateLimitBurst=0
ReadKMsg=no
ForwardToSyslog=no
ForwardToWall=no
ForwardToConsole=no
Audit=no
EOT
	_lib_njournald=$((_lib_njournald + 1))
	_sj_notify=$T/journald-notify$_lib_njournald.out
	start_notify "$T/journald-notify$_lib_njournald.sock" "$_sj_notify"
	NOTIFY_SOCKET=$T/journald-notify$_lib_njournald.sock \
		"$JOURNALD" >"$T/journald$_lib_njournald.err" 2>&1 </dev/null &
	JOURNALD_PID=$!
	track_pid "$JOURNALD_PID"
	poll_until "$UDP_REPLYD_TEST_WAIT" grep -q -x -F READY=1 "$_sj_notify" ||
		hard_error "journald sent no READY=1: $(cat "$T/journald$_lib_njournald.err")"
	[ -S "$JOURNAL_SOCKET" ] || hard_error "journald is ready but $JOURNAL_SOCKET is missing"
}

_lib_journald_gone() {
	! alive "$JOURNALD_PID"
}

# stop_private_journald: SIGTERM, and wait (bounded) until it is gone.
stop_private_journald() {
	[ -n "$JOURNALD_PID" ] || hard_error "stop_private_journald: no journald"
	kill -CONT "$JOURNALD_PID" 2>/dev/null || true
	kill -TERM "$JOURNALD_PID" 2>/dev/null || true
	poll_until "$UDP_REPLYD_TEST_WAIT" _lib_journald_gone || fail "journald did not stop"
	wait "$JOURNALD_PID" 2>/dev/null || true
	untrack_pid "$JOURNALD_PID"
	JOURNALD_PID=
}

# journal_json FILE [MATCH...]: the private journal's records (journalctl
# matches such as _PID=N) as JSON, one record a line, into FILE.
journal_json() {
	_jj_out=$1
	shift
	journalctl -D "$JOURNAL_DIR" -o json -a --no-pager "$@" >"$_jj_out" 2>"$T/journalctl.err"
}

# jq_num FILE FILTER: jq -s FILTER on FILE, which must print one integer.
jq_num() {
	_jn=$(jq -s "$2" "$1") || fail "jq $2 on $1 failed"
	case $_jn in
	'' | *[!0-9]*) fail "jq $2: '$_jn', wanted a number" ;;
	esac
	echo "$_jn"
}

# console_accounting FILE RECEIVED: in a console log FILE (default
# $DAEMON_LOG), the datagram lines + the counts of the "not logged one by one"
# summaries + the stop line's "N not logged" (+ its "D dropped by policy")
# add up to RECEIVED, and the stop
# line's "L logged" is the number of lines. Prints "LINES SUMMARISED LEFT".
console_accounting() {
	_ca_file=${1:-$DAEMON_LOG}
	_ca_lines=$(grep -c -E '^udp-replyd: [0-9]+ bytes? (\(truncated to [0-9]+\) )?from ' "$_ca_file") || true
	_ca_sum=$(sed -n 's/^udp-replyd: \([0-9][0-9]*\) datagrams\{0,1\} not logged one by one in the last .*/\1/p' \
		"$_ca_file" | awk '{ s += $1 } END { print s + 0 }')
	_ca_stop=$(grep '^udp-replyd: stopping on SIG' "$_ca_file") || fail "no stop line in $_ca_file"
	_ca_left=$(printf '%s\n' "$_ca_stop" | sed -n 's/.*, \([0-9][0-9]*\) not logged$/\1/p')
	_ca_logged=$(printf '%s\n' "$_ca_stop" | sed -n 's/.*, \([0-9][0-9]*\) logged, .*/\1/p')
	# Datagrams the policy dropped have no record: their own summaries count them.
	_ca_policy=$(printf '%s\n' "$_ca_stop" | sed -n 's/.*, \([0-9][0-9]*\) dropped by policy, .*/\1/p')
	[ -n "$_ca_left" ] && [ -n "$_ca_logged" ] || fail "stop line without its log counts: $_ca_stop"
	assert_eq "$((_ca_lines + _ca_sum + _ca_left + ${_ca_policy:-0}))" "$2" \
		"datagram lines $_ca_lines + summarised $_ca_sum + not logged at stop $_ca_left + dropped by policy ${_ca_policy:-0}"
	assert_eq "$_ca_logged" "$_ca_lines" "the stop line's logged count against the datagram lines"
	echo "$_ca_lines $_ca_sum $_ca_left"
}

_lib_all_stopped() {
	for _st in /proc/"$1"/task/*/stat; do
		[ "$(sed 's/.*) //' "$_st" 2>/dev/null | cut -c1)" = T ] || return 1
	done
}

# stop_process PID: SIGSTOP, and wait (bounded) until every thread of PID
# has stopped: kill returns before the other threads of a process do.
stop_process() {
	kill -STOP "$1"
	poll_until "$UDP_REPLYD_TEST_WAIT" _lib_all_stopped "$1" ||
		fail "process $1 did not stop within ${UDP_REPLYD_TEST_WAIT}s"
}

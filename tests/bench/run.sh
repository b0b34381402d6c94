#!/bin/sh
# run.sh - `make bench`: udp-replyd against a reference UDP reply loop, one
# table from one run
#
# Rows (servers), each measured once under the same closed-loop load:
#   reference      udpbench's in-process recvmmsg/sendmmsg loop, no logging
#                  (BENCH_REFERENCE=plain or "mmsg plain" for the recvfrom/
#                  sendto loop too)
#   no log         udp-replyd, log_datagrams = false (stderr to a file)
#   console        udp-replyd, a record per datagram on stderr = /dev/null
#   journal        udp-replyd --log-target=journal, into a private journald
#                  (as root only: run.sh re-runs itself in `unshare --mount`
#                  with tmpfs on /run/systemd and /run/log, as t-journal.sh)
# each udp-replyd row with workers = 1 and workers = "auto" (BENCH_WORKERS),
# and then the policy rows (issue 7; BENCH_POLICY), workers = 1, no log,
# both under a load from BENCH_SOURCES (1000) source addresses in as many
# /24s of 127.0.0.0/8 (udpbench --sources), so each request passes the access
# lists and a rate-limit bucket of its own prefix:
#   policy off     loop_guard = false, max_amplification = 0, no allow/deny,
#                  rate_limit { rate = 0; }
#   policy on      loop guard and max_amplification as by default, allow
#                  127.0.0.0/8 and ::1, deny four prefixes that match none,
#                  rate_limit { rate = 10000; burst = 10000; exempt = []; }:
#                  loopback not exempt, every /24 limited but far below the
#                  limit (the load gives each a few hundred a second)
# BENCH_POLICY_ROUNDS pairs of them, interleaved off, on, on, off, off, on...
# so that drift in the machine's speed hits both alike; the target is met
# when the median over the pairs of (on / off replies per CPU-s) is >= 0.95
# and the daemon dropped nothing by policy (its stop line's "D dropped by
# policy" absent; rate-limit drops summed from its summary lines).
# Every udp-replyd row is a fresh daemon started by `udpbench --spawn`, which
# gives it a NOTIFY_SOCKET of its own: readiness is its READY=1 (no probe
# datagram, so its counters hold exactly the load), and the time from execve
# to READY=1 is reported. Its CPU time is utime+stime of all its threads from
# exec to exit (wait4; the same accounting as /proc/PID/stat, finer), so the
# log writer's work on records still queued when the load ends is counted.
#
# Columns: replies/s (measured part), replies per server CPU-second, that
# figure over the reference's, p50/p99 round trip, the generator's CPU use,
# and the accounting: sent = replied + dropped by the kernel (as the daemon
# counted them: its stop record, from the journal's 05 record or the stderr
# line; for console > /dev/null the last STATUS=) + lost in flight; "rcvd ok"
# when the daemon's received + kernel drops = sent. Journal rows add journald's
# CPU per stored record (its /proc/PID/stat utime+stime delta / the records
# of that daemon it stored) and records + summarised (sum of UDP_NOT_LOGGED of
# the 06 summaries and of the 05 stop record) against the daemon's received.
# Below the table: VmRSS after the load, READY=1 times, how the 2-core worker
# comparison was made, and the issue's targets against these figures.
#
# Every wait is bounded (BENCH_TIME_LIMIT per load, 10 s per readiness, 20 s
# per stop); there is no fixed sleep. Loopback only. Not part of `make check`.
#
# Environment (all optional):
#   top_builddir            build tree (default: two levels up from this script)
#   UDP_REPLYD              the daemon (default $top_builddir/src/udp-replyd)
#   UDPBENCH                udpbench (default $top_builddir/tests/udpbench, else
#                           compiled from udpbench.c with ${CC:-cc})
#   BENCH_COUNT=1000000     measured requests per row (after 2000 unmeasured)
#   BENCH_WINDOW=16         generator sockets (distinct source ports)
#   BENCH_DEPTH=8           requests in flight per socket (16 x 8 = 128 in
#                           flight fits the default receive buffer of one socket)
#   BENCH_SIZE=16           request size in bytes
#   BENCH_TIME_LIMIT=20     seconds any one load may send
#   BENCH_TIMEOUT=0.5       a socket without a reply this long counts its
#                           requests as lost
#   BENCH_PIN=auto          GEN,SRV: the generator thread on CPU GEN, the
#                           reference server thread on CPU SRV; udp-replyd is
#                           never pinned (workers = "auto" honours affinity);
#                           auto = 0,1 with 2+ CPUs; none
#   BENCH_REFERENCE=mmsg    reference loops: mmsg, plain, or "mmsg plain"
#   BENCH_WORKERS="1 auto"  the workers settings measured
#   BENCH_LOGS="nolog console journal"  the udp-replyd rows
#   BENCH_JOURNAL=auto      auto: journal rows as root; no: never
#   BENCH_CONFINED=yes      add a row "no log, 1 worker" confined (taskset) to
#                           the generator's CPU: what auto gains from the free CPU
#   BENCH_POLICY=yes        the policy rows too; no: without them; only: just
#                           them (no reference, BENCH_LOGS or confined rows)
#   BENCH_POLICY_ROUNDS=3   pairs of policy rows (1..9)
#   BENCH_SOURCES=1000      source addresses (and /24s) of the policy rows' load
#   BENCH_KEEP_TMP=1        keep the temp dir
#   BENCH_VERBOSE=1         also print the raw key=value rows
#
# As root, `chrt -f 10 make bench` steadies the figures (every process of the
# run inherits SCHED_FIFO). Exit codes: 0 done, 1 a server failed, 99 setup.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$(cd "$here/../.." && pwd)}"
: "${UDP_REPLYD:=$top_builddir/src/udp-replyd}"
: "${BENCH_COUNT:=1000000}"
: "${BENCH_WINDOW:=16}"
: "${BENCH_DEPTH:=8}"
: "${BENCH_SIZE:=16}"
: "${BENCH_TIME_LIMIT:=20}"
: "${BENCH_TIMEOUT:=0.5}"
: "${BENCH_PIN:=auto}"
: "${BENCH_REFERENCE:=mmsg}"
: "${BENCH_WORKERS:=1 auto}"
: "${BENCH_LOGS:=nolog console journal}"
: "${BENCH_JOURNAL:=auto}"
: "${BENCH_CONFINED:=yes}"
: "${BENCH_POLICY:=yes}"
: "${BENCH_POLICY_ROUNDS:=3}"
: "${BENCH_SOURCES:=1000}"

MSGID=4f0d5f1c8a6e4b7fa3c1d2e9b8a7f6
READY_WAIT_MS=10000	# exec to READY=1
STATUS_WAIT_MS=3000	# the daemon sends STATUS= once a second
STOP_WAIT_MS=20000	# SIGTERM to exit (the log writer may flush for 2 s)
JOURNAL_WAIT_MS=20000	# the stop record to show up in the journal
T=
SUP_PID=		# udpbench --spawn, the daemon's parent
DAEMON_PID=
JOURNALD_PID=
JDIR=/run/log/journal

die() {
	printf 'run.sh: %s\n' "$*" >&2
	exit 99
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# Is pid running (not gone, not a zombie)?
alive() {
	[ -r "/proc/$1/stat" ] || return 1
	_st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 1
	[ -n "$_st" ] && [ "$_st" != Z ] && [ "$_st" != X ]
}

# poll_until MS CMD [ARGS]: run CMD until it succeeds; 1 when time is up.
poll_until() {
	_pu_deadline=$(($(now_ms) + $1))
	shift
	until "$@"; do
		[ "$(now_ms)" -lt "$_pu_deadline" ] || return 1
		sleep 0.02 # poll
	done
}

# utime+stime of pid, in clock ticks (all its threads).
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# stop_pid PID WAIT_MS: TERM, bounded wait, then KILL; reaps it.
stop_pid() {
	kill -TERM "$1" 2>/dev/null || true
	if ! poll_until "$2" eval '! alive '"$1"; then
		printf 'run.sh: process %s ignored SIGTERM for %s ms; killing it\n' "$1" "$2" >&2
		kill -KILL "$1" 2>/dev/null || true
	fi
	wait "$1" 2>/dev/null || true
}

cleanup() {
	_rc=$?
	set +e
	trap - EXIT INT TERM HUP
	# The daemon first (its parent, udpbench --spawn, then exits too).
	[ -z "$DAEMON_PID" ] || kill -TERM "$DAEMON_PID" 2>/dev/null
	[ -z "$SUP_PID" ] || stop_pid "$SUP_PID" 5000
	[ -z "$JOURNALD_PID" ] || stop_pid "$JOURNALD_PID" 5000
	if [ -n "$T" ]; then
		if [ "${BENCH_KEEP_TMP:-0}" = 1 ]; then
			printf 'run.sh: kept %s\n' "$T" >&2
		else
			rm -rf "$T"
		fi
	fi
	exit "$_rc"
}

# ---- the journal rows need root and a mount namespace of their own ----

JOURNALD=
journal_note=
want_journal=no
case " $BENCH_LOGS " in *" journal "*) want_journal=yes ;; esac
[ "$BENCH_POLICY" != only ] || want_journal=no
case $BENCH_JOURNAL in
auto) ;;
no) want_journal=no journal_note="journal rows: skipped (BENCH_JOURNAL=no)" ;;
*) die "BENCH_JOURNAL=$BENCH_JOURNAL: use auto or no" ;;
esac
if [ "$want_journal" = yes ]; then
	for _j in /lib/systemd/systemd-journald /usr/lib/systemd/systemd-journald; do
		[ -x "$_j" ] && JOURNALD=$_j && break
	done
	if [ "$(id -u)" != 0 ]; then
		want_journal=no
		journal_note="journal rows: skipped (not root: a private journald needs a mount namespace)"
	elif [ -z "$JOURNALD" ] || ! command -v unshare >/dev/null 2>&1 ||
		! command -v journalctl >/dev/null 2>&1 || ! command -v jq >/dev/null 2>&1; then
		want_journal=no
		journal_note="journal rows: skipped (needs systemd-journald, journalctl, jq, unshare)"
	fi
fi
if [ "$want_journal" = yes ] && [ "${UDP_REPLYD_BENCH_IN_MOUNT_NS:-0}" != 1 ]; then
	_rc=0
	UDP_REPLYD_BENCH_IN_MOUNT_NS=1 top_builddir=$top_builddir UDP_REPLYD=$UDP_REPLYD \
		unshare --mount --propagation private -- /bin/sh "$0" "$@" || _rc=$?
	exit "$_rc"
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/udp-replyd-bench.XXXXXX") || die "mktemp failed"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- what to run, and where ----

[ -x "$UDP_REPLYD" ] || die "$UDP_REPLYD is not built (set top_builddir or UDP_REPLYD)"
if [ -z "${UDPBENCH:-}" ] && [ -x "$top_builddir/tests/udpbench" ]; then
	UDPBENCH=$top_builddir/tests/udpbench
fi
if [ -z "${UDPBENCH:-}" ]; then
	UDPBENCH=$T/udpbench
	${CC:-cc} -O2 -pthread -o "$UDPBENCH" "$here/udpbench.c" ||
		die "cannot compile $here/udpbench.c"
fi
[ -x "$UDPBENCH" ] || die "$UDPBENCH is not built"
for _r in $BENCH_REFERENCE; do
	case $_r in plain | mmsg) ;; *) die "BENCH_REFERENCE=$_r: use plain or mmsg" ;; esac
done
for _w in $BENCH_WORKERS; do
	case $_w in auto | [1-9] | [1-9][0-9]) ;; *) die "BENCH_WORKERS: 1..99 or auto" ;; esac
done
for _l in $BENCH_LOGS; do
	case $_l in nolog | console | journal) ;; *) die "BENCH_LOGS: nolog, console, journal" ;; esac
done
case $BENCH_POLICY in
yes | no | only) ;;
*) die "BENCH_POLICY=$BENCH_POLICY: use yes, no or only" ;;
esac
case $BENCH_POLICY_ROUNDS in [1-9]) ;; *) die "BENCH_POLICY_ROUNDS: 1..9" ;; esac
case $BENCH_SOURCES in
'' | 0* | *[!0-9]*) die "BENCH_SOURCES: 1..65024 (udpbench --sources)" ;;
esac

ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
if [ "$BENCH_PIN" = auto ]; then
	if [ "$ncpu" -ge 2 ]; then
		BENCH_PIN=0,1
	else
		BENCH_PIN=none
	fi
fi
case $BENCH_PIN in
none) PIN_OPT='' GEN_CPU='' ;;
*[0-9],[0-9]*) PIN_OPT=--pin=$BENCH_PIN GEN_CPU=${BENCH_PIN%,*} ;;
*) die "BENCH_PIN=$BENCH_PIN: use auto, none or GEN,SRV" ;;
esac
clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)

# ---- a private journald (in the mount namespace) ----

start_journald() {
	for _d in /run/systemd /run/log; do
		[ -d "$_d" ] || mkdir -p "$_d"
		mount -t tmpfs -o mode=0755,size=2g tmpfs "$_d" || die "cannot mount tmpfs on $_d"
	done
	mkdir -p /run/systemd/journald.conf.d
	# Room for every record of the run: nothing may be vacuumed before it is counted.
	cat >/run/systemd/journald.conf.d/udp-replyd-bench.conf <<'EOT'
[Journal]
Storage=volatile
RateLimitIntervalSec=0
RateLimitBurst=0
RuntimeMaxUse=1800M
RuntimeKeepFree=16M
ReadKMsg=no
ForwardToSyslog=no
ForwardToWall=no
ForwardToConsole=no
Audit=no
EOT
	env -u NOTIFY_SOCKET "$JOURNALD" >"$T/journald.err" 2>&1 </dev/null &
	JOURNALD_PID=$!
	poll_until 10000 test -S /run/systemd/journal/socket ||
		die "journald did not create /run/systemd/journal/socket: $(cat "$T/journald.err")"
}

# ---- one row: a fresh daemon under the load ----

# kv KEY FILE: the value of KEY=... in a key=value line of FILE.
kv() {
	sed -n "s/.*\\(^\\| \\)$1=\\([^ ]*\\).*/\\2/p" "$2" | tail -n 1
}

# counts_of TEXT: "R P E K N D" from "R received, P replied, E errors, K
# dropped by the kernel, D dropped by policy, ..., N not logged" (STATUS= or the
# stop line); - when absent, but D is 0 when absent from a line that has R.
counts_of() {
	printf '%s\n' "$1" | awk '{
		rcvd = "-"; rep = "-"; err = "-"; kd = "-"; nl = "-"; pd = "-"
		n = split($0, part, ",")
		for (i = 1; i <= n; i++) {
			if (!match(part[i], /[0-9]+ [a-z][a-z ]*$/))
				continue
			w = substr(part[i], RSTART)
			v = substr(w, 1, index(w, " ") - 1) + 0
			w = substr(w, index(w, " ") + 1)
			if (w ~ /^received/) rcvd = v
			else if (w ~ /^replied/) rep = v
			else if (w ~ /^errors/) err = v
			else if (w ~ /^dropped by the kernel/) kd = v
			else if (w ~ /^not logged/) nl = v
			else if (w ~ /^dropped by policy/) pd = v
		}
		if (pd == "-" && rcvd != "-")
			pd = 0
		print rcvd, rep, err, kd, nl, pd
	}'
}

# daemon_ready OUT: the --spawn output shows READY=1 or the exit.
daemon_ready() {
	grep -q '^ready_ms=\|^exit=' "$1"
}

# The last STATUS= shows the whole load (received + kernel drops = sent).
status_complete() {
	_line=$(grep ' STATUS=' "$1" | tail -n 1)
	[ -n "$_line" ] || return 1
	# shellcheck disable=SC2046 # the words are the counts
	set -- $(counts_of "$_line") "$2"
	[ "$1" != - ] && [ "$4" != - ] && [ $(($1 + $4)) -ge "$7" ]
}

journal_has_stop() {
	journalctl -D "$JDIR" -a -q --no-pager -o json "_PID=$1" "MESSAGE_ID=${MSGID}05" \
		>"$2" 2>/dev/null && grep -q . "$2"
}

# policy_conf off|on: the policy settings of a policy row.
policy_conf() {
	case $1 in
	off)
		echo 'loop_guard = false;'
		echo 'max_amplification = 0;'
		echo 'rate_limit = { rate = 0; };'
		;;
	on)
		echo 'loop_guard = true;'
		echo 'allow = ["127.0.0.0/8", "::1/128"];'
		echo 'deny = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"];'
		echo 'rate_limit = { rate = 10000; burst = 10000; exempt = []; };'
		;;
	esac
}

# row_daemon LOG WORKERS [CPU [ROUND]]: one udp-replyd row (the daemon confined
# to CPU when given); a key=value line into $T/rows. LOG policy-off and
# policy-on are no-log rows with the policy settings and BENCH_SOURCES sources.
row_daemon() {
	_log=$1 _wk=$2 _try=0 _cpu=${3:-} _round=${4:-} _sources=
	_row=$T/row-$_log-$_wk${_cpu:+-cpu$_cpu}${_round:+-r$_round}
	case $_wk in auto) _wconf='"auto"' ;; *) _wconf=$_wk ;; esac
	case $_log in
	nolog) _target=console _logd=false _err=$_row.err ;;
	console) _target=console _logd=true _err=/dev/null ;;
	journal) _target=journal _logd=true _err=$_row.err ;;
	policy-*) _target=console _logd=false _err=$_row.err _sources=$BENCH_SOURCES ;;
	esac
	while :; do
		_try=$((_try + 1))
		PORT=$("$UDPBENCH" --free-port) || die "udpbench --free-port failed"
		{
			echo 'address = "127.0.0.1";'
			echo "port = $PORT;"
			echo 'buffer_size = 1024;'
			echo 'reply = "Hello UDP Client";'
			echo "workers = $_wconf;"
			echo "log_datagrams = $_logd;"
			policy_conf "${_log#policy-}"
		} >"$_row.conf"
		: >"$_row.spawn"
		${_cpu:+taskset -c "$_cpu"} "$UDPBENCH" --spawn "$_row.spawn" "$UDP_REPLYD" \
			-c "$_row.conf" --log-target="$_target" </dev/null >/dev/null 2>"$_err" &
		SUP_PID=$!
		poll_until "$READY_WAIT_MS" daemon_ready "$_row.spawn" || {
			printf 'run.sh: %s, workers %s: no READY=1 within %s ms\n' "$_log" "$_wk" \
				"$READY_WAIT_MS" >&2
			exit 1
		}
		DAEMON_PID=$(kv pid "$_row.spawn")
		grep -q '^exit=' "$_row.spawn" || break
		stop_pid "$SUP_PID" "$STOP_WAIT_MS"
		SUP_PID='' DAEMON_PID=''
		_rc=$(kv exit "$_row.spawn")
		[ "$_rc" = 69 ] && [ "$_try" -lt 5 ] && continue # port taken meanwhile
		printf 'run.sh: %s, workers %s: udp-replyd exited with %s before READY=1:\n' \
			"$_log" "$_wk" "$_rc" >&2
		"$UDP_REPLYD" -t -c "$_row.conf" 2>&1 | sed 's/^/    /' >&2 || true
		[ "$_err" = /dev/null ] || sed 's/^/    /' "$_err" >&2
		echo "name=$_log workers=$_wk failed=exit-$_rc" >>"$T/rows"
		return 0
	done
	_j0=
	[ "$_log" != journal ] || _j0=$(cpu_ticks "$JOURNALD_PID")
	"$UDPBENCH" -k ${PIN_OPT:+"$PIN_OPT"} --name="$_log" -n "$BENCH_COUNT" -w "$BENCH_WINDOW" \
		--depth "$BENCH_DEPTH" -s "$BENCH_SIZE" -T "$BENCH_TIME_LIMIT" -t "$BENCH_TIMEOUT" \
		${_sources:+--sources "$_sources"} 127.0.0.1 "$PORT" >"$_row.load" || {
		printf 'run.sh: %s, workers %s: udpbench failed: %s\n' "$_log" "$_wk" \
			"$(cat "$_row.load")" >&2
		exit 1
	}
	alive "$DAEMON_PID" || {
		printf 'run.sh: %s, workers %s: udp-replyd died under the load\n' "$_log" "$_wk" >&2
		exit 1
	}
	_rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$DAEMON_PID/status")
	_threads=$(sed -n 's/^Threads:[[:space:]]*//p' "/proc/$DAEMON_PID/status")
	_sent=$(kv sent_total "$_row.load")
	_status_wait=ok
	poll_until "$STATUS_WAIT_MS" status_complete "$_row.spawn" "$_sent" || _status_wait=short
	kill -TERM "$DAEMON_PID"
	poll_until "$STOP_WAIT_MS" grep -q '^exit=' "$_row.spawn" || {
		printf 'run.sh: %s, workers %s: udp-replyd did not exit within %s ms of SIGTERM\n' \
			"$_log" "$_wk" "$STOP_WAIT_MS" >&2
		exit 1
	}
	wait "$SUP_PID" || true
	SUP_PID=''
	_pid=$(kv pid "$_row.spawn")
	DAEMON_PID=''
	_status=$(grep ' STATUS=' "$_row.spawn" | tail -n 1 | sed 's/^[0-9.]* STATUS=//')
	# shellcheck disable=SC2046 # the words are the counts
	set -- $(counts_of "$_status")
	_extra="st_rcvd=$1 st_replied=$2 st_errors=$3 st_kdrops=$4 st_notlogged=$5"
	case $_log in
	nolog | policy-*)
		_stop=$(grep 'stopping on SIGTERM' "$_err" | tail -n 1)
		# shellcheck disable=SC2046 # the words are the counts
		set -- $(counts_of "$_stop")
		_extra="$_extra src=stop-line rcvd=$1 replied=$2 errors=$3 kdrops=$4 notlogged=$5"
		# The drops by reason are in the once-a-second summaries only.
		_rl=$(sed -n 's/.*dropped by policy in the last .*[:,] rate-limit \([0-9]*\)[,;].*/\1/p' \
			"$_err" | awk '{ n += $1 } END { print n + 0 }')
		_extra="$_extra pdrops=$6 ratelimited=$_rl"
		;;
	console)
		# shellcheck disable=SC2046 # the words are the counts
		set -- $(counts_of "$_status")
		_extra="$_extra src=STATUS rcvd=$1 replied=$2 errors=$3 kdrops=$4 notlogged=$5"
		;;
	journal)
		poll_until "$JOURNAL_WAIT_MS" journal_has_stop "$_pid" "$_row.05" ||
			printf 'run.sh: journal, workers %s: no stop record in the journal\n' "$_wk" >&2
		_j1=$(cpu_ticks "$JOURNALD_PID")
		# shellcheck disable=SC2046 # the words are the fields
		set -- $(jq -r '[.UDP_RECEIVED, .UDP_REPLIED, .UDP_REPLY_FAILED, .UDP_KERNEL_DROPS,
			.UDP_NOT_LOGGED, .UDP_LOGGED] | map(. // "-") | join(" ")' "$_row.05" 2>/dev/null |
			tail -n 1) - - - - - -
		_extra="$_extra src=journal-05 rcvd=$1 replied=$2 errors=$3 kdrops=$4 notlogged=$5"
		_extra="$_extra logged=$6"
		_records=$(journalctl -D "$JDIR" -a -q --no-pager -o cat --output-fields=UDP_SIZE \
			"_PID=$_pid" "MESSAGE_ID=${MSGID}01" | grep -c .) || true
		_all=$(journalctl -D "$JDIR" -a -q --no-pager -o cat --output-fields=MESSAGE_ID \
			"_PID=$_pid" | grep -c .) || true
		journalctl -D "$JDIR" -a -q --no-pager -o json "_PID=$_pid" \
			"MESSAGE_ID=${MSGID}06" >"$_row.06" 2>/dev/null || true
		_summ=$(jq -s 'map(.UDP_NOT_LOGGED // "0" | tonumber) | add // 0' "$_row.06")
		_nsumm=$(grep -c . "$_row.06") || true
		_fallback=$(grep -c . "$_err") || true
		_extra="$_extra jd_ticks=$((_j1 - _j0)) records=$_records all_records=$_all"
		_extra="$_extra summarised=$_summ summaries=$_nsumm stderr_lines=$_fallback"
		;;
	esac
	printf 'name=%s workers=%s%s pid=%s %s %s %s rss_kb=%s threads=%s status_wait=%s\n' \
		"$_log" "$_wk${_cpu:+@cpu$_cpu}" "${_round:+ round=$_round}" "$_pid" \
		"$(cat "$_row.load")" "$(grep '^exit=' "$_row.spawn")" \
		"$(grep '^ready_ms=' "$_row.spawn")" "$_rss" "$_threads" "$_status_wait" |
		sed "s/\$/ $_extra/" >>"$T/rows"
}

# row_reference MODE: udpbench's in-process loop, the same load.
row_reference() {
	"$UDPBENCH" -k ${PIN_OPT:+"$PIN_OPT"} --reference="$1" -n "$BENCH_COUNT" \
		-w "$BENCH_WINDOW" --depth "$BENCH_DEPTH" -s "$BENCH_SIZE" -T "$BENCH_TIME_LIMIT" \
		-t "$BENCH_TIMEOUT" >"$T/ref-$1.load" || {
		printf 'run.sh: reference %s failed: %s\n' "$1" "$(cat "$T/ref-$1.load")" >&2
		exit 1
	}
	printf 'workers=1 %s\n' "$(cat "$T/ref-$1.load")" >>"$T/rows"
}

# ---- the table ----

print_table() {
	awk -v tck="$clk_tck" '
	function num(x) { return x ~ /^-?[0-9.]+$/ }
	function ratio(a, b) { return num(a) && num(b) && b > 0 ? sprintf("%.2f", a / b) : "-" }
	{
		delete f
		for (i = 1; i <= NF; i++) {
			eq = index($i, "=")
			if (eq)
				f[substr($i, 1, eq - 1)] = substr($i, eq + 1)
		}
		n++
		name[n] = f["name"]; wk[n] = f["workers"]; round[n] = f["round"]
		if (f["failed"] != "") {
			failed[n] = f["failed"]
			next
		}
		rps[n] = f["rps"]; p50[n] = f["p50_us"]; p99[n] = f["p99_us"]
		gen[n] = f["gen_cpu_pct"]; sent[n] = f["sent_total"]; rep[n] = f["replies_total"]
		if (f["name"] ~ /^reference/) {
			cpu_s = f["srv_cpu_us"] / 1e6
			kd[n] = f["srv_kdrops"] != "" ? f["srv_kdrops"] : "-"; rcvd[n] = "-"
		} else {
			cpu_s = f["cpu_us"] / 1e6
			kd[n] = f["kdrops"]; rcvd[n] = f["rcvd"]
		}
		rpc[n] = cpu_s > 0 ? rep[n] / cpu_s : 0
		if (f["name"] ~ /^reference/ && refrpc == "")
			refrpc = rpc[n]
		lost[n] = num(kd[n]) ? sent[n] - rep[n] - kd[n] : sent[n] - rep[n]
		chk[n] = "-"
		if (num(rcvd[n]) && num(kd[n]))
			chk[n] = rcvd[n] + kd[n] == sent[n] ? "ok" : sprintf("%+d", rcvd[n] + kd[n] - sent[n])
		if (f["src"] != "")
			src[n] = f["src"]
		jd[n] = "-"; recs[n] = "-"
		if (f["name"] == "journal") {
			jd[n] = f["all_records"] > 0 ? sprintf("%.1f", f["jd_ticks"] / tck * 1e6 / f["all_records"]) : "-"
			acc = f["records"] + f["summarised"] + (num(f["notlogged"]) ? f["notlogged"] : 0)
			recs[n] = sprintf("%d+%d+%s=%s", f["records"], f["summarised"], f["notlogged"],
				num(f["rcvd"]) ? (acc == f["rcvd"] ? "rcvd" : sprintf("rcvd%+d", acc - f["rcvd"])) : "?")
		}
	}
	END {
		printf("%-13s %6s %9s %9s %5s %7s %7s %4s %8s %8s %6s %6s %5s %7s  %s\n",
			"server", "wk", "replies/s", "rep/cpu-s", "x ref", "p50 us", "p99 us", "gen%",
			"sent", "replied", "kdrop", "lost", "rcvd", "jd us/r", "records+summ+stop")
		for (i = 1; i <= n; i++) {
			label = name[i] == "nolog" ? "no log" : name[i] == "console" ? "console>null" : name[i]
			sub(/^reference-/, "ref ", label)
			sub(/^reference$/, "ref plain", label)
			sub(/^policy-/, "policy ", label)
			if (round[i] != "")
				label = label " #" round[i]
			if (failed[i] != "") {
				printf("%-13s %6s  (%s)\n", label, wk[i], failed[i])
				continue
			}
			printf("%-13s %6s %9.0f %9.0f %5s %7.1f %7.1f %4.0f %8d %8d %6s %6d %5s %7s  %s\n",
				label, wk[i], rps[i], rpc[i], ratio(rpc[i], refrpc), p50[i], p99[i], gen[i],
				sent[i], rep[i], kd[i], lost[i], chk[i], jd[i], recs[i])
		}
	}' "$T/rows"
}

# ---- the notes under the table ----

print_notes() {
	awk -v gencpu="${GEN_CPU:-none}" -v ncpu="$ncpu" '
	function num(x) { return x ~ /^-?[0-9.]+$/ }
	{
		delete f
		for (i = 1; i <= NF; i++) {
			eq = index($i, "=")
			if (eq)
				f[substr($i, 1, eq - 1)] = substr($i, eq + 1)
		}
		if (f["failed"] != "" || f["name"] ~ /^reference/) {
			if (f["name"] ~ /^reference/ && refrpc == "")
				refrpc = f["replies_total"] / (f["srv_cpu_us"] / 1e6)
			next
		}
		k = f["name"] "/" f["workers"] (f["round"] != "" ? "#" f["round"] : "")
		if (f["name"] ~ /^policy-/) {
			pol[k] = f["cpu_us"] > 0 ? f["replies_total"] / (f["cpu_us"] / 1e6) : 0
			if (f["pdrops"] != "0" || f["ratelimited"] != "0")
				pbad = pbad sprintf(" %s: %s dropped by policy, %s rate-limited;", k,
					f["pdrops"], f["ratelimited"])
			if (!num(f["rcvd"]) || !num(f["kdrops"]) || f["rcvd"] + f["kdrops"] != f["sent_total"] ||
			    f["lost_total"] != 0 || f["stray"] != 0)
				pacct = pacct " " k
			if (f["sources"] != "")
				psources = f["sources"]
		} else {
			logrows = 1
		}
		rps[k] = f["rps"] + 0; gen[k] = f["gen_cpu_pct"] + 0; thr[k] = f["threads"] + 0
		rpc[k] = f["cpu_us"] > 0 ? f["replies_total"] / (f["cpu_us"] / 1e6) : 0
		rss = rss sprintf(" %s %s KiB (peak %s, %s threads);", k, f["rss_kb"], f["maxrss_kb"],
			f["threads"])
		if (f["workers"] ~ /^1/ && (maxrss1 == "" || f["rss_kb"] + 0 > maxrss1))
			maxrss1 = f["rss_kb"] + 0
		ready = ready sprintf(" %s %.2f;", k, f["ready_ms"])
		if (maxready == "" || f["ready_ms"] + 0 > maxready)
			maxready = f["ready_ms"] + 0
		if (f["status_wait"] != "ok")
			short = short " " k
		if (f["stderr_lines"] > 0)
			fell = fell sprintf(" %s (%d lines)", k, f["stderr_lines"])
		if (f["errors"] > 0 || f["st_errors"] > 0)
			errs = errs sprintf(" %s: %s reply errors;", k, f["errors"])
	}
	function target(text, ok) {
		printf("  %-58s %s\n", text, ok == "" ? "n/a" : ok ? "met" : "NOT met")
	}
	END {
		printf("VmRSS after the load (KiB):%s\n", rss)
		printf("exec to READY=1 (ms):%s\n", ready)
		if (logrows)
			printf("%d CPUs: the generator is one thread pinned to CPU %s (gen%% = its CPU use over\n" \
			       "the load). udp-replyd is not pinned: with 1 worker that worker can have another\n" \
			       "CPU to itself; with \"auto\" one worker per CPU, one of them sharing CPU %s with\n" \
			       "the generator, so auto can beat 1 only where the generator leaves room on its\n" \
			       "CPU (read gen%%). Row 1@cpu%s: 1 worker confined (taskset) to the generator'"'"'s\n" \
			       "CPU, the other CPU left idle: the case \"the generator leaves a core free\";\n" \
			       "auto against it shows what the workers on the free CPU add.\n",
				ncpu, gencpu, gencpu, gencpu)
		if (short != "")
			printf("note: no STATUS= with the whole load within 3 s for:%s\n", short)
		if (fell != "")
			printf("note: lines on stderr with --log-target=journal:%s\n", fell)
		if (errs != "")
			printf("note:%s\n", errs)
		print "targets (issue 6):"
		t = "nolog/1"
		if (rpc[t] != "")
			target(sprintf("no log, 1 worker >= 0.9x reference per CPU-s: %.2f",
				refrpc > 0 ? rpc[t] / refrpc : 0), refrpc > 0 ? rpc[t] >= 0.9 * refrpc : "")
		split("1 auto", ws, " ")
		for (w = 1; w <= 2; w++) {
			a = "journal/" ws[w]; b = "nolog/" ws[w]
			if (rps[a] != "" && rps[b] != "")
				target(sprintf("journal >= 0.8x no log replies/s, workers %s: %.2f", ws[w],
					rps[a] / rps[b]), rps[a] >= 0.8 * rps[b])
		}
		split("nolog console journal", ls, " ")
		for (l = 1; l <= 3; l++) {
			a = ls[l] "/auto"; b = ls[l] "/1"
			if (rps[a] != "" && rps[b] != "")
				target(sprintf("%s: auto > 1 worker, replies/s %.0f vs %.0f", ls[l], rps[a],
					rps[b]), rps[a] > rps[b])
			b = ls[l] "/1@cpu" gencpu
			if (rps[a] != "" && rps[b] != "")
				target(sprintf("%s: auto > 1 worker on CPU %s: %.0f vs %.0f", ls[l], gencpu,
					rps[a], rps[b]), rps[a] > rps[b])
		}
		target(sprintf("RSS <= 4 MiB with 1 worker: %s KiB", maxrss1), maxrss1 == "" ? "" : maxrss1 <= 4096)
		target(sprintf("READY=1 within 10 ms of exec: %.2f ms", maxready), maxready == "" ? "" : maxready <= 10)
		policy_targets()
	}
	function policy_targets(r, a, b, np, line, i, j, t, med) {
		np = 0
		for (r = 1; r <= 9; r++) {
			a = "policy-on/1#" r; b = "policy-off/1#" r
			if (!(a in pol) || !(b in pol) || pol[b] <= 0)
				continue
			pr[++np] = pol[a] / pol[b]
			line = line sprintf(" #%d %.3f (%.0f / %.0f);", r, pr[np], pol[a], pol[b])
		}
		if (np == 0)
			return
		for (i = 2; i <= np; i++)	# insertion sort: at most 9
			for (j = i; j > 1 && pr[j - 1] > pr[j]; j--) {
				t = pr[j]; pr[j] = pr[j - 1]; pr[j - 1] = t
			}
		med = np % 2 ? pr[(np + 1) / 2] : (pr[np / 2] + pr[np / 2 + 1]) / 2
		print "targets (issue 7):"
		printf("  policy on / off, replies per CPU-s, each pair:%s\n", line)
		target(sprintf("policy on (%s sources) >= 0.95x off per CPU-s: median %.3f", psources,
			med), med >= 0.95)
		target(sprintf("policy rows dropped nothing by policy: %s", pbad == "" ? "0" : "no"),
			pbad == "")
		if (pbad != "")
			printf("    %s\n", pbad)
		target("policy rows: rcvd + kdrop = sent, 0 lost, 0 stray", pacct == "")
		if (pacct != "")
			printf("     not in:%s\n", pacct)
	}' "$T/rows"
}

# ---- main ----

: >"$T/rows"
[ "$want_journal" != yes ] || start_journald
policy=$(chrt -p $$ 2>/dev/null | sed -n 's/.*scheduling policy: //p') || true
printf 'udp-replyd benchmark: %s CPUs, load average %s, pin %s, %s\n' "$ncpu" \
	"$(cut -d' ' -f1-3 /proc/loadavg)" "$BENCH_PIN" "${policy:-policy unknown}"
printf 'load: closed loop, %s sockets x %s in flight, %s-byte requests, %s measured (+2000)\n' \
	"$BENCH_WINDOW" "$BENCH_DEPTH" "$BENCH_SIZE" "$BENCH_COUNT"
[ "$BENCH_POLICY" = no ] ||
	printf 'policy rows: %s pairs, the load from %s sources in as many /24s of 127.0.0.0/8\n' \
		"$BENCH_POLICY_ROUNDS" "$BENCH_SOURCES"
[ -z "$journal_note" ] || printf '%s\n' "$journal_note"

if [ "$BENCH_POLICY" != only ]; then
	for ref in $BENCH_REFERENCE; do
		row_reference "$ref"
	done
	for log in $BENCH_LOGS; do
		[ "$log" != journal ] || [ "$want_journal" = yes ] || continue
		for wk in $BENCH_WORKERS; do
			row_daemon "$log" "$wk"
		done
	done
	# 2 cores: 1 worker sharing the generator's CPU, the other CPU left free (for auto).
	if [ "$BENCH_CONFINED" = yes ] && [ -n "$GEN_CPU" ] && command -v taskset >/dev/null 2>&1; then
		for log in $BENCH_LOGS; do
			[ "$log" = nolog ] || continue
			row_daemon nolog 1 "$GEN_CPU"
		done
	fi
fi
# Pairs in the order off on, on off, off on...: a drift hits both alike.
if [ "$BENCH_POLICY" != no ]; then
	round=1
	while [ "$round" -le "$BENCH_POLICY_ROUNDS" ]; do
		if [ $((round % 2)) = 1 ]; then
			row_daemon policy-off 1 '' "$round"
			row_daemon policy-on 1 '' "$round"
		else
			row_daemon policy-on 1 '' "$round"
			row_daemon policy-off 1 '' "$round"
		fi
		round=$((round + 1))
	done
fi

echo
print_table
echo
print_notes
cat <<EOF
columns: rep/cpu-s = replies / server CPU-s (udp-replyd: all threads, exec to exit;
reference: its thread); x ref = that over the first reference row; gen% = generator
CPU / wall; sent = replied + kdrop (the daemon's own count; reference: its socket's
SO_MEMINFO drops) + lost (in flight);
rcvd ok = the daemon's received + kdrop = sent; jd us/r = journald CPU per record it
stored for that daemon; records+summ+stop = datagram records stored + UDP_NOT_LOGGED
of the 06 summaries + of the 05 stop record, against the daemon's received.
EOF
[ -z "${BENCH_VERBOSE:-}" ] || sed 's/^/# /' "$T/rows"
exit 0

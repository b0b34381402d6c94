#!/bin/sh
# run.sh - benchmark udp-replyd against a minimal reference UDP reply server
#
# One command: starts udp-replyd on a free loopback port with a temp config
# (log target console, stderr to /dev/null; then log target journal, when a
# journald socket exists), waits until it answers, runs udpbench against it
# and against udpbench's in-process reference server (a plain recvfrom/sendto
# loop, no logging) in the same invocation, and prints replies/s, p50/p99
# latency and CPU time per datagram, with the ratio udp-replyd/reference.
# The daemon's CPU time comes from /proc/PID/stat (utime+stime) read before and
# after; the reference server's from its thread's CPU clock.
#
# Every wait is bounded; the only process left running in the background is
# the daemon, which the exit trap stops (TERM, then KILL after 5 s).
#
# Environment (all optional):
#   top_builddir            build tree (default: two levels up from this script)
#   UDP_REPLYD              the daemon (default $top_builddir/src/udp-replyd)
#   UDPBENCH                udpbench (default: $top_builddir/tests/udpbench, or
#                           $top_builddir/tests/bench/udpbench, else compiled
#                           from udpbench.c with ${CC:-cc} into the temp dir)
#   BENCH_COUNT=100000      measured requests per measurement (udpbench -n)
#   BENCH_WINDOWS="1 32"    requests outstanding; 1 = unloaded latency
#   BENCH_SIZE=16           request size in bytes
#   BENCH_REPEAT=1          measure each case this many times (at most 20)
#   BENCH_TIME_LIMIT=30     seconds any one measurement may send (udpbench -T)
#   BENCH_PIN=auto          GEN,SRV: udpbench's generator on CPU GEN, the daemon
#                           and the reference server both on CPU SRV, so that
#                           both servers are scheduled alike; auto = 0,1 when
#                           there are 2+ CPUs and taskset, else none
#   BENCH_REFERENCE=plain   the reference server: plain (recvfrom/sendto) or
#                           mmsg (recvmmsg/sendmmsg batches of 64, like the daemon)
#   BENCH_JOURNAL=auto      auto: also measure --log-target=journal when a
#                           journald socket exists (it writes every datagram's
#                           record into that journal); no: never
#   BENCH_KEEP_TMP=1        keep the temp dir
#   BENCH_VERBOSE=1         also print udpbench's raw key=value lines
#
# On a machine shared with other work the figures swing by 2x and more (the
# p99 by 10x); as root, `chrt -f 10 tests/bench/run.sh` (SCHED_FIFO for the
# daemon, udpbench and the reference alike) makes them far steadier. The
# header line says which scheduling policy the run had.
#
# Exit codes: 0 done, 1 the daemon failed or did not answer, 99 setup error.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$(cd "$here/../.." && pwd)}"
: "${UDP_REPLYD:=$top_builddir/src/udp-replyd}"
: "${BENCH_COUNT:=100000}"
: "${BENCH_WINDOWS:=1 32}"
: "${BENCH_SIZE:=16}"
: "${BENCH_REPEAT:=1}"
: "${BENCH_TIME_LIMIT:=30}"
: "${BENCH_PIN:=auto}"
: "${BENCH_REFERENCE:=plain}"
: "${BENCH_JOURNAL:=auto}"

T=
DAEMON_PID=
COARSE_TICKS=
READY_WAIT_MS=10000	# how long the daemon may take to answer
STOP_WAIT_MS=5000	# how long it may take to stop on SIGTERM

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

# Stop the daemon we started (and only it): TERM, bounded wait, then KILL.
# Leaves its exit code in STOP_RC.
stop_daemon() {
	STOP_RC=
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null || true
	_deadline=$(($(now_ms) + STOP_WAIT_MS))
	while alive "$DAEMON_PID" && [ "$(now_ms)" -lt "$_deadline" ]; do
		sleep 0.05 # poll
	done
	if alive "$DAEMON_PID"; then
		printf 'run.sh: udp-replyd %s ignored SIGTERM for %d ms; killing it\n' \
			"$DAEMON_PID" "$STOP_WAIT_MS" >&2
		kill -KILL "$DAEMON_PID" 2>/dev/null || true
	fi
	STOP_RC=0
	wait "$DAEMON_PID" || STOP_RC=$?
	DAEMON_PID=
}

cleanup() {
	_rc=$?
	set +e
	trap - EXIT INT TERM HUP
	stop_daemon
	if [ -n "$T" ]; then
		if [ "${BENCH_KEEP_TMP:-0}" = 1 ]; then
			printf 'run.sh: kept %s\n' "$T" >&2
		else
			rm -rf "$T"
		fi
	fi
	exit "$_rc"
}

T=$(mktemp -d "${TMPDIR:-/tmp}/udp-replyd-bench.XXXXXX") || die "mktemp failed"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- what to run, and where ----

[ -x "$UDP_REPLYD" ] || die "$UDP_REPLYD is not built (set top_builddir or UDP_REPLYD)"
if [ -z "${UDPBENCH:-}" ]; then
	for _b in "$top_builddir/tests/udpbench" "$top_builddir/tests/bench/udpbench"; do
		if [ -x "$_b" ]; then
			UDPBENCH=$_b
			break
		fi
	done
fi
if [ -z "${UDPBENCH:-}" ]; then
	UDPBENCH=$T/udpbench
	${CC:-cc} -O2 -pthread -o "$UDPBENCH" "$here/udpbench.c" ||
		die "cannot compile $here/udpbench.c"
fi
[ -x "$UDPBENCH" ] || die "$UDPBENCH is not built"

case $BENCH_REPEAT in
'' | *[!0-9]*) die "BENCH_REPEAT=$BENCH_REPEAT: not a number" ;;
esac
if [ "$BENCH_REPEAT" -lt 1 ] || [ "$BENCH_REPEAT" -gt 20 ]; then
	die "BENCH_REPEAT: 1 to 20"
fi
case $BENCH_REFERENCE in
plain | mmsg) ;;
*) die "BENCH_REFERENCE=$BENCH_REFERENCE: use plain or mmsg" ;;
esac

ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
if [ "$BENCH_PIN" = auto ]; then
	if [ "$ncpu" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
		BENCH_PIN=0,1
	else
		BENCH_PIN=none
	fi
fi
case $BENCH_PIN in
none)
	PIN_DAEMON=
	PIN_BENCH=
	;;
*[0-9],[0-9]*)
	command -v taskset >/dev/null 2>&1 || die "BENCH_PIN=$BENCH_PIN needs taskset"
	PIN_DAEMON=${BENCH_PIN#*,}
	PIN_BENCH="--pin=$BENCH_PIN"
	;;
*) die "BENCH_PIN=$BENCH_PIN: use auto, none or GEN,SRV" ;;
esac

clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)

# utime+stime of pid, in clock ticks.
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# ---- the daemon ----

# start_daemon TARGET: udp-replyd on a free loopback port, answering; sets
# DAEMON_PID and PORT. A port taken between choosing and binding (exit 69)
# means another try, at most 5.
start_daemon() {
	_target=$1
	_try=0
	while :; do
		_try=$((_try + 1))
		PORT=$("$UDPBENCH" --free-port) || die "udpbench --free-port failed"
		_conf=$T/udp-replyd-$_target.conf
		{
			echo 'address = "127.0.0.1";'
			echo "port = $PORT;"
			echo 'buffer_size = 1024;'
			echo 'reply = "Hello UDP Client";'
		} >"$_conf"
		# Console lines go to /dev/null; the journal run keeps its stderr
		# to show whether records fell back to the console.
		if [ "$_target" = journal ]; then
			_err=$T/daemon-journal.err
		else
			_err=/dev/null
		fi
		# taskset execs the daemon, so $! is the daemon itself.
		if [ -n "$PIN_DAEMON" ]; then
			taskset -c "$PIN_DAEMON" "$UDP_REPLYD" -c "$_conf" --log-target="$_target" \
				</dev/null >/dev/null 2>"$_err" &
		else
			"$UDP_REPLYD" -c "$_conf" --log-target="$_target" \
				</dev/null >/dev/null 2>"$_err" &
		fi
		DAEMON_PID=$!
		wait_ready && return 0
		if alive "$DAEMON_PID"; then
			die "udp-replyd did not answer on 127.0.0.1:$PORT within $READY_WAIT_MS ms"
		fi
		_rc=0
		wait "$DAEMON_PID" || _rc=$?
		DAEMON_PID=
		if [ "$_rc" = 69 ] && [ "$_try" -lt 5 ]; then
			continue # port taken meanwhile: another one
		fi
		printf 'run.sh: udp-replyd exited with %s before answering; %s\n' \
			"$_rc" "its config check says:" >&2
		"$UDP_REPLYD" -t -c "$_conf" >&2 || true
		exit 1
	done
}

# Poll for a reply (each poll waits at most 0.1 s for it), bounded in count
# and time; fails as soon as the daemon is gone.
wait_ready() {
	_deadline=$(($(now_ms) + READY_WAIT_MS))
	_polls=0
	while alive "$DAEMON_PID"; do
		"$UDPBENCH" -q -n 1 --warmup 0 -w 1 -t 0.1 127.0.0.1 "$PORT" && return 0
		_polls=$((_polls + 1))
		[ "$_polls" -lt 200 ] && [ "$(now_ms)" -lt "$_deadline" ] || return 1
		sleep 0.05 # poll
	done
	return 1
}

# ---- measuring ----

# measure TARGET WINDOW RUN: one udpbench invocation (the daemon, then the
# reference server); rows appended to $T/rows:
#   TARGET WINDOW RUN SERVER RPS P50 P99 CPU_NS LOST GEN_CPU_NS
measure() {
	_out=$T/bench-$1-$2-$3.out
	_t0=$(cpu_ticks "$DAEMON_PID")
	"$UDPBENCH" -k ${PIN_BENCH:+"$PIN_BENCH"} --name=udp-replyd -n "$BENCH_COUNT" \
		-w "$2" -s "$BENCH_SIZE" -T "$BENCH_TIME_LIMIT" --reference="$BENCH_REFERENCE" \
		127.0.0.1 "$PORT" >"$_out" ||
		{
			cat "$_out" >&2
			printf 'run.sh: udpbench failed (log target %s, window %s)\n' "$1" "$2" >&2
			exit 1
		}
	alive "$DAEMON_PID" || {
		printf 'run.sh: udp-replyd died during the measurement\n' >&2
		exit 1
	}
	_t1=$(cpu_ticks "$DAEMON_PID")
	awk -v target="$1" -v window="$2" -v run="$3" -v ticks=$((_t1 - _t0)) \
		-v tck="$clk_tck" '
	{
		delete f
		for (i = 1; i <= NF; i++) {
			eq = index($i, "=")
			f[substr($i, 1, eq - 1)] = substr($i, eq + 1)
		}
		if (f["name"] == "udp-replyd")
			cpu = f["sent_total"] > 0 ? ticks * 1e9 / tck / f["sent_total"] : 0
		else
			cpu = f["srv_cpu_ns_per_req"]
		if (f["time_limited"] == 1)
			printf("run.sh: note: %s, window %s: stopped by the time limit\n",
				f["name"], window) > "/dev/stderr"
		printf("%s %s %s %s %s %s %s %.0f %s %s\n", target, window, run, f["name"],
			f["rps"], f["p50_us"], f["p99_us"], cpu, f["lost"], f["gen_cpu_ns_per_req"])
	}' "$_out" >>"$T/rows"
	[ $((_t1 - _t0)) -ge 50 ] || COARSE_TICKS=$((_t1 - _t0))
	sed 's/^/# /' "$_out" >>"$T/raw"
	printf 'run.sh: %s window %s run %s: udp-replyd used %s ticks (1/%s s)\n' \
		"$1" "$2" "$3" $((_t1 - _t0)) "$clk_tck" >>"$T/raw"
}

print_table() {
	awk -v repeat="$BENCH_REPEAT" '
	function median(key, n,    i, j, t, v) {
		n = cnt[key]
		for (i = 1; i <= n; i++)
			v[i] = vals[key, i]
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
				t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
			}
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	function ratio(a, b) {
		return b > 0 ? sprintf("%.2f", a / b) : "-"
	}
	function row(label, server, rps, p50, p99, cpu, lost) {
		printf("%-10s %-6s %-4s %-14s %10s %9s %9s %10s %6s\n", label[1], label[2],
			label[3], server, rps, p50, p99, cpu, lost)
	}
	function pair(t, w, r, d, f,    label) {
		label[1] = t; label[2] = w; label[3] = r
		row(label, "udp-replyd", sprintf("%.0f", d[1]), sprintf("%.1f", d[2]),
			sprintf("%.1f", d[3]), sprintf("%.2f", d[4] / 1000), d[5])
		label[1] = ""; label[2] = ""; label[3] = ""
		row(label, fname, sprintf("%.0f", f[1]), sprintf("%.1f", f[2]),
			sprintf("%.1f", f[3]), sprintf("%.2f", f[4] / 1000), f[5])
		row(label, "ratio", ratio(d[1], f[1]), ratio(d[2], f[2]), ratio(d[3], f[3]),
			ratio(d[4], f[4]), "")
	}
	{
		k = $1 SUBSEP $2 SUBSEP $3
		if (!(k in seen)) {
			seen[k] = 1
			order[++n] = k
		}
		s = $4 == "udp-replyd" ? "d" : "f"
		if (s == "f")
			fname = $4
		busy = $5 * $10 / 1e9
		if (busy > 0.9)
			genbound[$1 " window " $2 " " $4] = 1
		for (i = 5; i <= 9; i++)
			v[k, s, i - 4] = $i
		if (!(($1, $2) in seen2)) {
			seen2[$1, $2] = 1
			order2[++n2] = $1 SUBSEP $2
		}
		for (i = 5; i <= 9; i++) {
			mk = $1 SUBSEP $2 SUBSEP s SUBSEP i
			cnt[mk]++
			vals[mk, cnt[mk]] = $i
		}
	}
	END {
		printf("%-10s %-6s %-4s %-14s %10s %9s %9s %10s %6s\n", "log", "window", "run",
			"server", "replies/s", "p50 us", "p99 us", "cpu us/dg", "lost")
		for (i = 1; i <= n; i++) {
			split(order[i], key, SUBSEP)
			for (j = 1; j <= 5; j++) {
				d[j] = v[order[i], "d", j]
				f[j] = v[order[i], "f", j]
			}
			pair(key[1], key[2], key[3], d, f)
		}
		for (g in genbound)
			gb = gb (gb == "" ? "" : ", ") g
		if (gb != "")
			printf("\nnote: the generator itself was (nearly) saturated for: %s;\n" \
			       "      its replies/s there are lower bounds: compare cpu us/dg.\n",
				gb)
		if (repeat < 2)
			exit
		printf("\nmedians of %d runs:\n", repeat)
		for (i = 1; i <= n2; i++) {
			split(order2[i], key, SUBSEP)
			for (j = 1; j <= 5; j++) {
				d[j] = median(order2[i] SUBSEP "d" SUBSEP (j + 4))
				f[j] = median(order2[i] SUBSEP "f" SUBSEP (j + 4))
			}
			pair(key[1], key[2], "med", d, f)
		}
	}' "$T/rows"
}

# ---- main ----

targets=console
case $BENCH_JOURNAL in
auto | no) ;;
*) die "BENCH_JOURNAL=$BENCH_JOURNAL: use auto or no" ;;
esac
if [ "$BENCH_JOURNAL" = no ]; then
	journal_note="log target journal: skipped (BENCH_JOURNAL=no)"
elif [ -S /run/systemd/journal/socket ] && [ -w /run/systemd/journal/socket ]; then
	targets="console journal"
	_n=0
	for _w in $BENCH_WINDOWS; do
		_n=$((_n + (BENCH_COUNT + 2000) * BENCH_REPEAT))
	done
	journal_note="log target journal: measured; writes about $_n records into the journal"
else
	journal_note="log target journal: skipped (no /run/systemd/journal/socket)"
fi

policy=$(chrt -p $$ 2>/dev/null | sed -n 's/.*scheduling policy: //p') || true
printf 'udp-replyd benchmark: %s CPUs, load average %s, pin %s, reference %s, %s\n' \
	"$ncpu" "$(cut -d' ' -f1-3 /proc/loadavg)" "$BENCH_PIN" "$BENCH_REFERENCE" \
	"${policy:-policy unknown}"
printf '%s requests of %s bytes per measurement (after 2000 unmeasured), windows %s\n' \
	"$BENCH_COUNT" "$BENCH_SIZE" "$BENCH_WINDOWS"
[ -z "$journal_note" ] || printf '%s\n' "$journal_note"
: >"$T/rows"
: >"$T/raw"

for target in $targets; do
	start_daemon "$target"
	run=1
	while [ "$run" -le "$BENCH_REPEAT" ]; do
		for window in $BENCH_WINDOWS; do
			measure "$target" "$window" "$run"
		done
		run=$((run + 1))
	done
	stop_daemon
	[ "$STOP_RC" = 0 ] || {
		printf 'run.sh: udp-replyd exited with %s on SIGTERM, wanted 0\n' "$STOP_RC" >&2
		exit 1
	}
	if [ "$target" = journal ] && [ -s "$T/daemon-journal.err" ]; then
		printf 'run.sh: warning: %s lines on stderr with --log-target=journal %s\n' \
			"$(wc -l <"$T/daemon-journal.err")" "(was the journal unreachable?)"
	fi
done

echo
print_table
echo
echo "cpu us/dg: udp-replyd from /proc/PID/stat utime+stime (1/$clk_tck s ticks) over the"
echo "datagrams it was sent; reference from its thread's CPU clock. ratio = udp-replyd/reference."
if [ -n "$COARSE_TICKS" ]; then
	printf 'note: a udp-replyd cpu figure rests on only %s ticks; raise BENCH_COUNT.\n' \
		"$COARSE_TICKS"
fi
[ -z "${BENCH_VERBOSE:-}" ] || cat "$T/raw"
loadavg_end=$(cut -d' ' -f1 /proc/loadavg)
case $loadavg_end in
0.[0-4]*) ;;
*)
	if [ "${policy:-}" = SCHED_FIFO ] || [ "${policy:-}" = SCHED_RR ]; then
		printf 'note: load average %s at the end: other work was running (run with %s).\n' \
			"$loadavg_end" "$policy"
	else
		printf 'note: load average %s at the end: other work shared the CPUs, %s\n' \
			"$loadavg_end" "so figures are noisy"
		printf '      (as root, chrt -f 10 %s steadies them).\n' "$0"
	fi
	;;
esac

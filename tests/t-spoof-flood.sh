#!/bin/sh
# A flood from 1,000,000 distinct forged sources (udpprobe spoof-flood, a raw
# socket, root only) across 127.0.0.0/8, one /24 after another so that they
# fall in 65280 distinct /24s, four times the 16384 buckets of a worker's
# rate-limit table; loopback is not exempt. Meanwhile a steady client in a
# prefix the flood never uses (127.250.0.0/24), far below the rate, must get
# every reply: the daemon counts drops by reason, not by prefix, so every
# one of its asks must be answered. The daemon's resident memory stays
# within the documented table bound: what it had before the flood, plus the
# fixed table (RATELIMIT_BUCKETS x 16 bytes = 256 KiB per worker, see
# udp-replyd.conf(5)), plus 1 MiB of slack for everything else that a first
# flood touches (the receive batch's buffers, 64 x buffer_size per worker,
# stacks, libc). And the counters add up: received + dropped by the kernel
# is what was sent, and received is replied + dropped by policy.
#
# The test runs in a network namespace of its own (unshare --net): the
# daemon's replies to the forged sources (their ports 40000 to 59999) cannot
# reach the sockets of other tests running at the same time, and the
# namespace's UDP counters are this test's alone. Once with 1 worker, once
# with 2. A LONG_TESTS entry: plain build only, not under sanitizers or
# valgrind (under UDP_REPLYD_VALGRIND=1 it floods 20000 and does not check
# memory). UDP_REPLYD_SPOOF_FLOOD_COUNT overrides the count.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

enter_private_net_ns "udpprobe spoof-flood forges sources with a raw socket, in a network namespace" "$@"

COUNT=${UDP_REPLYD_SPOOF_FLOOD_COUNT:-1000000}
CHECK_MEMORY=1
if [ "${UDP_REPLYD_VALGRIND:-0}" = 1 ]; then
	COUNT=${UDP_REPLYD_SPOOF_FLOOD_COUNT:-20000}
	CHECK_MEMORY=0
fi
FLOOD_SECONDS=60	# spoof-flood's bound (it paces itself by the daemon's queue)
STEADY=127.250.0.1	# spoof-flood leaves 127.250.0.0/16 alone
STEADY_MAX=1500		# asks at most (one every ~50 ms for the flood's 60 s, and then some)
RATE=100
BURST=200
TABLE_KIB=256		# RATELIMIT_BUCKETS (16384) x 16 bytes, per worker
SLACK_KIB=1024
free_port P
conf=$T/udp-replyd.conf

rss_kib() {
	_rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9][0-9]*\) kB$/\1/p' "/proc/$1/status" 2>/dev/null)
	[ -n "$_rss" ] || fail "no VmRSS for $1"
	echo "$_rss"
}

# udp_counter NAME: this namespace's UDP counter NAME (/proc/net/snmp).
udp_counter() {
	awk -v name="$1" '
		$1 == "Udp:" && !seen { for (i = 2; i <= NF; i++) col[$i] = i; seen = 1; next }
		$1 == "Udp:" && seen { print $col[name]; exit }' /proc/net/snmp
}

lo_rx_dropped() {
	cat /sys/class/net/lo/statistics/rx_dropped
}

# The steady client: one ask every ~50 ms from $STEADY until $T/flood.done
# exists (at most STEADY_MAX); "ASKS ANSWERED" in $T/steady.out after each.
steady_client() {
	_n=0
	_ok=0
	while [ ! -e "$T/flood.done" ] && [ "$_n" -lt "$STEADY_MAX" ]; do
		_n=$((_n + 1))
		if "$UDPPROBE" ask -t 3 -s "$STEADY:0" 127.0.0.1 "$P" "steady $_n" \
			>"$T/steady.reply" 2>>"$T/steady.err" &&
			[ "$(head -n 1 "$T/steady.reply")" = "from 127.0.0.1 $P 16" ]; then
			_ok=$((_ok + 1))
		else
			echo "ask $_n: no reply ($(head -n 1 "$T/steady.reply"))" >>"$T/steady.err"
		fi
		echo "$_n $_ok" >"$T/steady.tmp"
		mv "$T/steady.tmp" "$T/steady.out"
		sleep 0.05 # poll interval of the steady client: 20 a second, far below the rate
	done
}

_steady_started() {
	[ -s "$T/steady.out" ]
}

# The daemon's last STATUS= counts as "RECEIVED KERNEL_DROPS".
status_counts() {
	grep '^STATUS=Serving ' "$NOTIFY_OUT" | tail -n 1 |
		sed -n 's/.*: \([0-9][0-9]*\) received, .* \([0-9][0-9]*\) dropped by the kernel.*/\1 \2/p'
}

_status_has() {
	# shellcheck disable=SC2046 # two numbers, split on purpose
	set -- $(status_counts) 0 0
	[ $(($1 + $2)) -ge "$EXPECTED" ]
}

_policy_sed='s/^udp-replyd: [0-9][0-9]* datagrams\{0,1\} dropped by policy in the last [0-9.]* s: //p'

# Drops by reason over all the policy summaries ("...: reason N, ...; from
# PREFIX N, ..., others N"), as "reason N, ...".
policy_summary() {
	sed -n "$_policy_sed" "$DAEMON_LOG" | sed 's/; from .*//' | tr ',' '\n' | awk '
		NF == 2 { n[$1] += $2 }
		END { for (r in n) printf "%s %d\n", r, n[r] }' | sort | tr '\n' ',' |
		sed 's/,$//; s/,/, /g'
}

flood_run() {
	workers=$1
	note "workers = $workers: $COUNT datagrams from distinct forged sources, a steady client at $STEADY"
	write_conf "$conf" address=127.0.0.1 port="$P" raw="workers = $workers;" \
		raw="log_datagrams = false;" raw="receive_buffer = 8388608;" \
		raw="rate_limit = { rate = $RATE; burst = $BURST; exempt = []; };"
	start_daemon "$conf"
	rm -f "$T/flood.done" "$T/steady.out" "$T/steady.err"
	rcvbuf_errors0=$(udp_counter RcvbufErrors)
	noports0=$(udp_counter NoPorts)
	lo_dropped0=$(lo_rx_dropped)

	steady_client &
	steady_pid=$!
	track_pid "$steady_pid"
	poll_until "$UDP_REPLYD_TEST_WAIT" _steady_started || fail "the steady client did not start"
	rss_before=$(rss_kib "$DAEMON_PID")

	start_ms=$(_lib_now_ms)
	"$UDPPROBE" spoof-flood -t "$FLOOD_SECONDS" "$COUNT" 127.0.0.1 "$P" >"$T/flood.out" \
		2>"$T/flood.err" || true
	flood_ms=$(($(_lib_now_ms) - start_ms))
	rss_flood=$(rss_kib "$DAEMON_PID")
	: >"$T/flood.done"
	wait "$steady_pid" || fail "the steady client: exit $?"
	untrack_pid "$steady_pid"

	sent=$(sed -n 's/^sent \([0-9][0-9]*\)$/\1/p' "$T/flood.out")
	[ -n "$sent" ] || fail "udpprobe spoof-flood: $(cat "$T/flood.out" "$T/flood.err")"
	[ "$sent" = "$COUNT" ] ||
		fail "spoof-flood sent $sent of $COUNT within ${FLOOD_SECONDS}s ($flood_ms ms)"
	# shellcheck disable=SC2046 # two numbers, split on purpose
	set -- $(cat "$T/steady.out")
	asks=$1
	answered=$2
	note "flood: $sent datagrams in $flood_ms ms, $((sent * 1000 / (flood_ms > 0 ? flood_ms : 1))) a second"
	note "steady client: $answered of $asks asks answered"
	# (a) never limited: a policy drop (or any loss) of one of its
	# datagrams is an ask without its reply.
	[ "$answered" = "$asks" ] ||
		fail "the steady client got $answered replies to $asks asks: $(head -n 5 "$T/steady.err")"
	[ "$asks" -ge $((flood_ms / 1000)) ] ||
		fail "the steady client asked only $asks times during the $flood_ms ms flood"

	# Everything sent has been received or dropped by the kernel.
	EXPECTED=$((sent + asks))
	poll_until "$UDP_REPLYD_TEST_WAIT" _status_has ||
		fail "STATUS= counts '$(status_counts)' (received, kernel drops), wanted $EXPECTED in all"
	rss_settled=$(rss_kib "$DAEMON_PID")
	[ "$(count_log -F 'cannot steer')" = 0 ] || fail "$(grep -F 'cannot steer' "$DAEMON_LOG")"

	# (b) the fixed table: no memory per source.
	bound=$((rss_before + TABLE_KIB * workers + SLACK_KIB))
	note "VmRSS: $rss_before KiB before, $rss_flood KiB right after the flood, $rss_settled KiB when it was all read; bound $bound KiB ($rss_before + $TABLE_KIB x $workers worker(s) + $SLACK_KIB)"
	if [ "$CHECK_MEMORY" = 1 ]; then
		[ "$rss_flood" -le "$bound" ] ||
			fail "VmRSS $rss_flood KiB right after the flood, over the bound $bound KiB"
		[ "$rss_settled" -le "$bound" ] ||
			fail "VmRSS $rss_settled KiB after the flood was read, over the bound $bound KiB"
	fi

	stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
	stopline=$(grep '^udp-replyd: stopping on SIGTERM: ' "$DAEMON_LOG") || fail "no stop line"
	# shellcheck disable=SC2046 # numbers, split on purpose
	set -- $(printf '%s\n' "$stopline" | sed -n 's/^udp-replyd: stopping on SIGTERM: \([0-9]*\) received, \([0-9]*\) replied, \([0-9]*\) errors, \([0-9]*\) dropped by the kernel\(, \([0-9]*\) dropped by policy\)\{0,1\}, [0-9]* logged, [0-9]* not logged$/\1 \2 \3 \4 \6/p')
	[ $# -ge 4 ] || fail "stop line: $stopline"
	received=$1 replied=$2 errors=$3 kdrops=$4 pdrops=${5:-0}
	rcvbuf_errors=$(($(udp_counter RcvbufErrors) - rcvbuf_errors0))
	noports=$(($(udp_counter NoPorts) - noports0))
	lo_dropped=$(($(lo_rx_dropped) - lo_dropped0))
	note "stop line: $received received, $replied replied, $errors errors, $kdrops dropped by the kernel, $pdrops dropped by policy"
	note "policy drops by reason (summaries): $(policy_summary)"
	sed -n "$_policy_sed" "$DAEMON_LOG" | sed -n 's/.*; from /# policy drops from /p' | tail -n 3
	# The summaries name the prefixes that had the most drops: never the
	# steady client's.
	steady_prefix=${STEADY%.*}.0/24
	[ "$(sed -n "$_policy_sed" "$DAEMON_LOG" | grep -c -F "$steady_prefix ")" = 0 ] ||
		fail "a policy summary names the steady client's prefix $steady_prefix: $(grep -F "$steady_prefix " "$DAEMON_LOG" | head -n 3)"
	note "namespace: $rcvbuf_errors UDP receive buffer errors, $noports datagrams to no port (replies to forged sources), $lo_dropped dropped by lo"
	# (c) the accounting.
	assert_eq "$((received + kdrops))" "$((sent + asks))" \
		"received $received + dropped by the kernel $kdrops against sent $sent + steady $asks (lo dropped $lo_dropped)"
	assert_eq "$errors" 0 "reply errors (send queue full included)"
	assert_eq "$((replied + pdrops))" "$received" "replied $replied + dropped by policy $pdrops against received"
	# Every reply to a forged source went to a port nobody holds here.
	assert_eq "$noports" "$((replied - asks))" "datagrams to no port in the namespace against replies to the flood"
}

flood_run 1
flood_run 2

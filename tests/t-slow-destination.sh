#!/bin/sh
# Replies toward a slow path never hold the daemon: sends are MSG_DONTWAIT,
# a full send queue is counted, and SIGTERM is acted on at once.
#
# In a network namespace of its own (unshare --net), lo gets an htb qdisc:
# 127.0.0.1 and 127.250.0.0/16 (the clients) go through a class at 10 Gbit/s,
# every other 127.0.0.0/8 destination through one at 8 kbit/s with a
# 100000-packet pfifo, so replies to those destinations sit in the qdisc and
# keep their bytes charged to the daemon's socket send buffer, as replies
# toward a slow link do. The daemon runs with the default rate limit (100/s,
# burst 200 per /24), loopback not exempt, and the kernel's default send
# buffer.
#
#  1. One slow destination: 2000 requests forged from 127.66.0.1 (issue 7
#     found 400 enough to freeze the daemon when sends blocked). The rate
#     limit lets about a burst of replies through, and they wait in the
#     qdisc; a client at 127.250.0.1 then gets every one of its replies,
#     and no reply failed.
#  2. A slow path that no rate limit can bound: a forged flood (udpprobe
#     spoof-flood) from every /24 of 127.0.0.0/8 in turn, each far below
#     the rate, toward the slow class. The send buffer fills;
#     the daemon goes on reading (every datagram is accounted for: replied,
#     dropped by policy, or counted as a failed reply, "send queue full"),
#     and SIGTERM, sent while the flood still runs, stops it in < 1 s.
#
# A LONG_TESTS entry: plain build only (the < 1 s bound is for the daemon,
# not for it under valgrind or a sanitizer).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

enter_private_net_ns "tc, a network namespace, udpprobe spoof with a raw socket" "$@"
command -v tc >/dev/null || hard_error "tc not installed"

SLOW=127.66.0.1
CLIENT=127.250.0.1
SLOW_REQUESTS=2000

ASKS=20
RATE=100	# the defaults, spelt out for the bound below
BURST=200
STOP_MS=1000
free_port P
conf=$T/udp-replyd.conf

# The qdisc: htb, fast by default; the slow class for 127.0.0.0/8 but the clients.
tc qdisc add dev lo root handle 1: htb default 10 r2q 1000 2>"$T/tc.err" &&
	tc class add dev lo parent 1: classid 1:10 htb rate 10gbit 2>>"$T/tc.err" &&
	tc class add dev lo parent 1: classid 1:30 htb rate 8kbit ceil 8kbit burst 1600 \
		cburst 1600 quantum 1600 2>>"$T/tc.err" &&
	tc qdisc add dev lo parent 1:30 handle 30: pfifo limit 100000 2>>"$T/tc.err" &&
	tc filter add dev lo parent 1: protocol ip prio 1 u32 match ip dst 127.0.0.1/32 \
		flowid 1:10 2>>"$T/tc.err" &&
	tc filter add dev lo parent 1: protocol ip prio 2 u32 match ip dst 127.250.0.0/16 \
		flowid 1:10 2>>"$T/tc.err" &&
	tc filter add dev lo parent 1: protocol ip prio 3 u32 match ip dst 127.0.0.0/8 \
		flowid 1:30 2>>"$T/tc.err" ||
	hard_error "tc (htb, pfifo, u32 needed): $(cat "$T/tc.err")"

# Packets waiting in the slow class's pfifo.
slow_backlog() {
	tc -s qdisc show dev lo | awk '
		$1 == "qdisc" { slow = ($2 == "pfifo" && $3 == "30:") }
		slow && $1 == "backlog" { sub(/p$/, "", $3); print $3; exit }'
}

# The daemon's last STATUS= counts as "RECEIVED ERRORS KERNEL_DROPS POLICY_DROPS".
status_counts() {
	grep '^STATUS=Serving ' "$NOTIFY_OUT" | tail -n 1 |
		sed -n 's/.*: \([0-9][0-9]*\) received, [0-9]* replied, \([0-9][0-9]*\) errors, \([0-9][0-9]*\) dropped by the kernel\(, \([0-9][0-9]*\) dropped by policy\)\{0,1\}.*/\1 \2 \3 \5/p'
}

_status_accounts() {
	# shellcheck disable=SC2046 # numbers, split on purpose
	set -- $(status_counts) 0 0 0 0
	[ $(($1 + $3)) -ge "$EXPECTED" ]
}

_status_errors() {
	# shellcheck disable=SC2046 # numbers, split on purpose
	set -- $(status_counts) 0 0 0 0
	[ "$2" -gt 0 ]
}

# stop_timed: SIGTERM, and the time until the daemon is gone into STOPPED_MS.
stop_timed() {
	_st0=$(_lib_now_ms)
	stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
	STOPPED_MS=$(($(_lib_now_ms) - _st0))
}

# stop_counts: the stop line's numbers into received, replied, errors,
# kdrops and pdrops.
stop_counts() {
	_sl=$(grep '^udp-replyd: stopping on SIGTERM: ' "$DAEMON_LOG") || fail "no stop line"
	# shellcheck disable=SC2046 # numbers, split on purpose
	set -- $(printf '%s\n' "$_sl" | sed -n 's/^udp-replyd: stopping on SIGTERM: \([0-9]*\) received, \([0-9]*\) replied, \([0-9]*\) errors, \([0-9]*\) dropped by the kernel\(, \([0-9]*\) dropped by policy\)\{0,1\}, [0-9]* logged, [0-9]* not logged$/\1 \2 \3 \4 \6/p')
	[ $# -ge 4 ] || fail "stop line: $_sl"
	received=$1 replied=$2 errors=$3 kdrops=$4 pdrops=${5:-0}
	note "stop line: $received received, $replied replied, $errors errors, $kdrops dropped by the kernel, $pdrops dropped by policy"
}

daemon_conf() {
	write_conf "$conf" address=127.0.0.1 port="$P" raw="workers = 1;" \
		raw="receive_buffer = 8388608;" raw="rate_limit = { exempt = []; };"
}

note "1. one slow destination: $SLOW_REQUESTS requests forged from $SLOW"
daemon_conf
start_daemon "$conf"
start_ms=$(_lib_now_ms)
"$UDPPROBE" spoof -t 10 -n "$SLOW_REQUESTS" "$SLOW" 5555 127.0.0.1 "$P" "Hello UDP Server" \
	>"$T/spoof.out" 2>&1 || fail "udpprobe spoof: $(cat "$T/spoof.out")"
EXPECTED=$SLOW_REQUESTS
poll_until "$UDP_REPLYD_TEST_WAIT" _status_accounts ||
	fail "STATUS= counts '$(status_counts)', wanted $EXPECTED received or dropped by the kernel"
backlog=$(slow_backlog)
note "slow class backlog after the requests: ${backlog:-?} packets"
[ "${backlog:-0}" -gt 0 ] || fail "no reply waits in the slow class: the test does not test"
ok=0
i=0
while [ "$i" -lt "$ASKS" ]; do
	i=$((i + 1))
	if "$UDPPROBE" ask -t 2 -s "$CLIENT:0" 127.0.0.1 "$P" "client $i" >"$T/reply" 2>&1 &&
		[ "$(head -n 1 "$T/reply")" = "from 127.0.0.1 $P 16" ]; then
		ok=$((ok + 1))
	else
		note "ask $i: $(head -n 1 "$T/reply")"
	fi
done
elapsed_ms=$(($(_lib_now_ms) - start_ms))
note "client: $ok of $ASKS asks answered while $(slow_backlog) replies still wait in the slow class"
assert_eq "$ok" "$ASKS" "replies to the client behind the slow destination's queue"
stop_timed
note "SIGTERM to exit: $STOPPED_MS ms"
[ "$STOPPED_MS" -lt "$STOP_MS" ] || fail "SIGTERM took $STOPPED_MS ms, wanted < $STOP_MS"
stop_counts
assert_eq "$errors" 0 "failed replies (send queue full) with one slow destination"
assert_eq "$((replied + pdrops))" "$received" "replied + dropped by policy against received"
# What the slow destination got: at most the burst and the rate over the run.
slow_replies=$((replied - ASKS))
bound=$((BURST + RATE * (elapsed_ms + 999) / 1000))
note "replies to $SLOW: $slow_replies (bound: burst $BURST + $RATE/s x ${elapsed_ms} ms = $bound)"
[ "$slow_replies" -le "$bound" ] || fail "$slow_replies replies to $SLOW, over the rate limit's $bound"
[ "$pdrops" -gt 0 ] || fail "the rate limit dropped nothing from $SLOW"

note "2. a flood forged from every /24 of 127.0.0.0/8 toward the slow class; SIGTERM while it runs"
daemon_conf
start_daemon "$conf"
# Bounded: at most 20 s, and the test stops it once the send queue is full.
"$UDPPROBE" spoof-flood -t 20 1000000 127.0.0.1 "$P" >"$T/flood.out" 2>&1 &
flood_pid=$!
track_pid "$flood_pid"
poll_until "$UDP_REPLYD_TEST_WAIT" _status_errors ||
	fail "no failed reply (send queue full) within ${UDP_REPLYD_TEST_WAIT}s: STATUS= '$(status_counts)'"
note "send queue full: STATUS= counts '$(status_counts)' (received errors kernel policy), slow class backlog $(slow_backlog)"
alive "$flood_pid" || fail "the flood ended before the daemon was stopped: $(cat "$T/flood.out")"
stop_timed
note "SIGTERM to exit, under the flood: $STOPPED_MS ms"
kill "$flood_pid" 2>/dev/null || true
wait "$flood_pid" 2>/dev/null || true
untrack_pid "$flood_pid"
[ "$STOPPED_MS" -lt "$STOP_MS" ] || fail "SIGTERM took $STOPPED_MS ms under the flood, wanted < $STOP_MS"
stop_counts
[ "$errors" -gt 0 ] || fail "no failed reply counted"
[ "$replied" -gt 0 ] || fail "nothing replied"
assert_eq "$((replied + pdrops + errors))" "$received" \
	"replied + dropped by policy + failed replies against received"
# The records name the failure: "(no reply: ...)", EAGAIN or ENOBUFS.
full=$(($(count_log -F '(no reply: Resource temporarily unavailable)') +
	$(count_log -F '(no reply: No buffer space available)')))
note "records of replies that found the send queue full: $full"
[ "$full" -gt 0 ] || fail "no record names the send queue's error: $(grep -F '(no reply' "$DAEMON_LOG" | tail -n 3)"

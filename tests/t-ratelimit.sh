#!/bin/sh
# The per-source rate limit: a flood from one prefix is held to burst + rate
# x time, across both workers (the reuseport group steers a prefix to one
# worker), while a sender of another prefix gets every reply; loopback is
# exempt by default. Drops are counted as rate-limit.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

COUNT=3000
FLOOD=400
RATE=10
BURST=20
free_port P
conf=$T/udp-replyd.conf

note "loopback exempt (the default): a burst of $COUNT is answered in full"
write_conf "$conf" address=127.0.0.1 port="$P" raw='workers = 2;' \
	raw="rate_limit = { rate = $RATE; burst = $BURST; };"
start_daemon "$conf"
"$UDPPROBE" burst -t 30 -n 4 127.0.0.1 "$P" "$COUNT" >"$T/burst.out" || true
assert_eq "$(cat "$T/burst.out")" "sent $COUNT replies $COUNT" "burst from an exempt sender"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"

note "not exempt: four floods from one prefix (four source ports) share one bucket"
write_conf "$conf" address=127.0.0.1 port="$P" raw='workers = 2;' \
	raw="rate_limit = { rate = $RATE; burst = $BURST; exempt = []; };"
start_daemon "$conf"
start_ms=$(_lib_now_ms)
floods=
for f in 1 2 3 4; do
	"$UDPPROBE" flood -t 2 -q 0.3 127.0.0.1 "$P" "$FLOOD" >"$T/flood$f.out" &
	track_pid $!
	floods="$floods $!"
done
# Meanwhile another prefix (127.0.1.0/24), below the rate, gets every reply.
i=0
while [ "$i" -lt 5 ]; do
	"$UDPPROBE" ask -t 2 -s 127.0.1.1:0 127.0.0.1 "$P" "steady $i" >"$T/reply" ||
		fail "the steady sender of another prefix got no reply to datagram $i"
	i=$((i + 1))
done
for f in $floods; do
	wait "$f" || true
	untrack_pid "$f"
done
took_ms=$(($(_lib_now_ms) - start_ms))
got=0
for f in 1 2 3 4; do
	r=$(sed -n 's/^sent [0-9]* replies \([0-9]*\)$/\1/p' "$T/flood$f.out")
	[ -n "$r" ] || fail "flood $f: $(cat "$T/flood$f.out")"
	got=$((got + r))
done
# The bucket: BURST at once, then RATE a second. The floods are sent within
# a second (their replies are collected for longer), so one bucket allows
# at most BURST + RATE; a bucket per worker would allow twice the burst.
most=$((BURST + RATE))
note "four floods from one prefix got $got replies ($took_ms ms in all; at most $most allowed)"
[ "$(count_log -F 'cannot steer')" = 0 ] || fail "$(grep -F 'cannot steer' "$DAEMON_LOG")"
[ "$got" -le "$most" ] || fail "$got replies to one prefix, wanted at most $most"
[ "$got" -ge "$BURST" ] || fail "$got replies to one prefix, wanted at least the burst $BURST"
# The summary names the prefix that sent the most.
wait_log "dropped by policy in the last .*rate-limit [0-9]+; from 127[.]0[.]0[.]0/24 [0-9]+"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
# The floods do not wait: the kernel may drop some (counted). Every datagram
# received was answered or dropped by the policy.
stopline=$(grep '^udp-replyd: stopping on SIGTERM: ' "$DAEMON_LOG") || fail "no stop line"
set -- $(printf '%s\n' "$stopline" | sed -n 's/.*: \([0-9]*\) received, \([0-9]*\) replied, 0 errors, \([0-9]*\) dropped by the kernel, \([0-9]*\) dropped by policy, .*/\1 \2 \3 \4/p')
[ $# = 4 ] || fail "stop line: $stopline"
assert_eq "$(($1 + $3))" "$((4 * FLOOD + 5))" "received + dropped by the kernel"
assert_eq "$2" "$((got + 5))" "replied"
assert_eq "$4" "$(($1 - $2))" "dropped by policy"
console_accounting "$DAEMON_LOG" "$1" >/dev/null

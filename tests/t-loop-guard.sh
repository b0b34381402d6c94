#!/bin/sh
# The loop guard: no reply to a datagram that could start a reply loop.
# Spoofed sources are forged with a raw socket (udpprobe spoof, root only),
# on loopback only. Each rule is checked by its own drop reason: in STATUS=
# ("D dropped by policy"), in the stop line, and in the console summaries
# "D datagrams dropped by policy in the last S s: self 1, ...". Where a reply
# would have gone to a third party, a listener (udpprobe listen) there counts
# what arrived. Loop ends are proven by counters that settle: a datagram
# answered later by the same daemon is counted after anything a loop would
# have added, so no fixed wait is needed. The last part reads the summary
# and stop records' fields back from a private systemd-journald, as
# t-journal.sh does (so the test runs in a mount namespace of its own).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (udpprobe spoof forges sources with a raw socket)"
enter_private_mount_ns "$@"

free_port P
free_port Q
free_port S	# a source port that no rule covers
conf=$T/udp-replyd.conf

# ---- helpers ----

# save_daemon NAME / use_daemon NAME: with two daemons running, which one
# lib.sh's waits (wait_notify, wait_log, stop_daemon) look at.
save_daemon() {
	eval "${1}_PID=\$DAEMON_PID ${1}_NOTIFY=\$NOTIFY_OUT ${1}_LOG=\$DAEMON_LOG"
}
use_daemon() {
	eval "DAEMON_PID=\$${1}_PID NOTIFY_OUT=\$${1}_NOTIFY DAEMON_LOG=\$${1}_LOG"
}

re_quote() {
	# shellcheck disable=SC2016 # a sed expression, not the shell's
	printf '%s' "$1" | sed 's/[].[\*^$()+?{}|]/\\&/g'
}

# ", D dropped by policy" when D > 0: where STATUS= and the stop line say
# it, right after the kernel drops (the one place to change if that moves).
policy_part() {
	[ "$1" -gt 0 ] && echo ", $1 dropped by policy"
	return 0
}

# status_re ADDR PORT RECEIVED REPLIED DROPS: the STATUS= line, exactly.
# Datagrams dropped by policy are neither logged nor counted as not logged.
status_re() {
	echo "^STATUS=Serving $(re_quote "$1"):$2 \\([0-9]+ workers?\\): $3 received, $4 replied, 0 errors, 0 dropped by the kernel$(policy_part "$5"), 0 not logged\$"
}

# stop_re RECEIVED REPLIED DROPS: the console stop line after SIGTERM.
stop_re() {
	echo "^udp-replyd: stopping on SIGTERM: $1 received, $2 replied, 0 errors, 0 dropped by the kernel$(policy_part "$3"), $(($1 - $3)) logged, 0 not logged\$"
}

_summary_sed='s/^udp-replyd: \([0-9][0-9]*\) datagrams\{0,1\} dropped by policy in the last [0-9.]* s: \(.*\); from .*$/\1 \2/p'

# policy_reasons: the reasons counted by the policy summaries in
# $DAEMON_LOG, added up, as "reason count" pairs in name order on one line; and
# "MISMATCH" when a summary's total is not the sum of its reasons.
policy_reasons() {
	sed -n "$_summary_sed" "$DAEMON_LOG" | awk '
		{
			total = $1
			sub(/^[0-9]+ /, "")
			k = split($0, part, /, /)
			s = 0
			for (i = 1; i <= k; i++) {
				if (split(part[i], rc, / /) != 2 || rc[2] !~ /^[0-9]+$/) { bad = 1; continue }
				n[rc[1]] += rc[2]
				s += rc[2]
			}
			if (s != total) bad = 1
		}
		END {
			if (bad) { print "MISMATCH"; exit }
			for (r in n) print r, n[r]
		}' | sort | tr '\n' ' ' | sed 's/ $//'
}

_reasons_are() {
	[ "$(policy_reasons)" = "$1" ]
}

# wait_reasons "REASON N ...": the summaries (at most one a second) add up
# to exactly these reasons, in name order.
wait_reasons() {
	poll_until "$UDP_REPLYD_TEST_WAIT" _reasons_are "$1" ||
		fail "policy summaries count '$(policy_reasons)', wanted '$1'"
}

# spoof SRCADDR SRCPORT DSTADDR DSTPORT [PAYLOAD]: one forged datagram.
spoof() {
	"$UDPPROBE" spoof "$@" 2>"$T/spoof.err" ||
		hard_error "udpprobe spoof $*: exit $?: $(cat "$T/spoof.err")"
}

# start_listener HOST PORT: udpprobe listen there, bound when this returns;
# LISTEN_OUT is its output ("received N" after every datagram).
nlisten=0
start_listener() {
	nlisten=$((nlisten + 1))
	LISTEN_OUT=$T/listen$nlisten.out
	"$UDPPROBE" listen -c -t 300 "$1" "$2" >"$LISTEN_OUT" 2>"$T/listen$nlisten.err" &
	LISTEN_PID=$!
	track_pid "$LISTEN_PID"
	poll_until "$UDP_REPLYD_TEST_WAIT" grep -q -x bound "$LISTEN_OUT" ||
		hard_error "udpprobe listen $1 $2 did not bind: $(cat "$T/listen$nlisten.err")"
}

# stop_listener: end it; its final count in LISTENED.
stop_listener() {
	kill -TERM "$LISTEN_PID"
	wait "$LISTEN_PID" || fail "udpprobe listen: exit $?"
	untrack_pid "$LISTEN_PID"
	LISTENED=$(sed -n 's/^received \([0-9][0-9]*\)$/\1/p' "$LISTEN_OUT" | tail -n 1)
	[ -n "$LISTENED" ] || fail "udpprobe listen printed no count: $(cat "$LISTEN_OUT")"
}

_listener_has() {
	grep -q -x "received $1" "$LISTEN_OUT"
}

# no_log_from ADDR PORT: no per-datagram line for a datagram from there.
no_log_from() {
	[ "$(count_log "^udp-replyd: [0-9]+ bytes? (\\(truncated to [0-9]+\\) )?from $(re_quote "$1"):$2 ")" = 0 ] ||
		fail "a dropped datagram from $1:$2 was logged one by one: $(grep -F "from $1:$2 " "$DAEMON_LOG" | head -n 3)"
}

# ---- 1: a datagram from the daemon's own address and port ----

note "1: spoofed 127.0.0.1:$P -> 127.0.0.1:$P draws no reply (self)"
write_conf "$conf" address=127.0.0.1 port="$P" raw="workers = 1;"
start_daemon "$conf"
spoof 127.0.0.1 "$P" 127.0.0.1 "$P" "loop?"
wait_notify "$(status_re 127.0.0.1 "$P" 1 0 1)"
# A client's datagram is counted after anything a loop would have added:
# received stays 1 + 1, so the daemon did not answer itself.
ask 127.0.0.1 "$P" "after the spoof"
assert_reply_from 127.0.0.1 "$P" 16
wait_notify "$(status_re 127.0.0.1 "$P" 2 1 1)"
wait_reasons "self 1"
no_log_from 127.0.0.1 "$P"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log "$(stop_re 2 1 1)"
# Dropped datagrams are not logged one by one, nor counted as not logged.
console_accounting "$DAEMON_LOG" 2 >/dev/null

note "1b: loop_guard = false: the same datagram starts a loop (so the guard is what stopped it)"
write_conf "$conf" address=127.0.0.1 port="$P" raw="workers = 1;" raw="loop_guard = false;" \
	raw="log_datagrams = false;"
start_daemon "$conf"
spoof 127.0.0.1 "$P" 127.0.0.1 "$P" "loop?"
# One datagram sent; two or more received and answered is the daemon
# answering itself. Stopped as soon as STATUS= shows it.
wait_notify "^STATUS=Serving 127\\.0\\.0\\.1:$P \\([0-9]+ workers?\\): ([2-9]|[1-9][0-9]+) received, ([2-9]|[1-9][0-9]+) replied, "
stop_daemon TERM || fail "SIGTERM during a reply loop: exit $DAEMON_RC, wanted 0"
stopline=$(grep '^udp-replyd: stopping on SIGTERM: ' "$DAEMON_LOG") || fail "no stop line"
note "without the guard: $stopline"
case $stopline in
*"dropped by policy"*) fail "loop_guard = false, yet: $stopline" ;;
esac

# ---- 2: two daemons on one port, at 127.0.0.1 and 127.0.0.2 ----

note "2: daemons on 127.0.0.1:$P and 127.0.0.2:$P, spoofed 127.0.0.2:$P -> 127.0.0.1:$P"
write_conf "$T/a.conf" address=127.0.0.1 port="$P" raw="workers = 1;" reply="reply of A"
write_conf "$T/b.conf" address=127.0.0.2 port="$P" raw="workers = 1;" reply="reply of B"
start_daemon "$T/a.conf"
save_daemon A
start_daemon "$T/b.conf"
save_daemon B
spoof 127.0.0.2 "$P" 127.0.0.1 "$P" "ping"
use_daemon A
wait_notify "$(status_re 127.0.0.1 "$P" 1 0 1)"
wait_reasons "our-port 1"
no_log_from 127.0.0.2 "$P"
# Settled: a client of each counts after anything the exchange would have
# added. B saw nothing from A; A gave no reply: replies total 0 (<= 1).
ask 127.0.0.1 "$P" "client of A"
reply_body "$T/body"
assert_file_eq "$T/body" "reply of A"
wait_notify "$(status_re 127.0.0.1 "$P" 2 1 1)"
use_daemon B
ask 127.0.0.2 "$P" "client of B"
reply_body "$T/body"
assert_file_eq "$T/body" "reply of B"
wait_notify "$(status_re 127.0.0.2 "$P" 1 1 0)"
if grep -q 'dropped by policy' "$NOTIFY_OUT"; then
	fail "B dropped something: $(grep 'dropped by policy' "$NOTIFY_OUT" | tail -n 1)"
fi
stop_daemon TERM || fail "B: SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log "$(stop_re 1 1 0)"
use_daemon A
stop_daemon TERM || fail "A: SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log "$(stop_re 2 1 1)"

# ---- 3: two daemons on two ports with the same reply ----

same="the same reply"	# >= 8 bytes
note "3: daemons on 127.0.0.1:$P and 127.0.0.1:$Q, both replying '$same'"
write_conf "$T/a.conf" address=127.0.0.1 port="$P" raw="workers = 1;" reply="$same"
write_conf "$T/b.conf" address=127.0.0.1 port="$Q" raw="workers = 1;" reply="$same"
start_daemon "$T/a.conf"
save_daemon A
start_daemon "$T/b.conf"
save_daemon B

note "3a: spoofed from B (127.0.0.1:$Q) to A with the reply text: A drops it (own-reply)"
spoof 127.0.0.1 "$Q" 127.0.0.1 "$P" "$same"
use_daemon A
wait_notify "$(status_re 127.0.0.1 "$P" 1 0 1)"
wait_reasons "own-reply 1"

note "3b: spoofed from B to A with another payload: A answers B once, B drops A's reply (own-reply)"
spoof 127.0.0.1 "$Q" 127.0.0.1 "$P" "start"
wait_notify "$(status_re 127.0.0.1 "$P" 2 1 1)"
use_daemon B
wait_notify "$(status_re 127.0.0.1 "$Q" 1 0 1)"
wait_reasons "own-reply 1"
no_log_from 127.0.0.1 "$P"
# Settled: clients of both count after anything a ping-pong would add.
ask 127.0.0.1 "$Q" "client of B"
wait_notify "$(status_re 127.0.0.1 "$Q" 2 1 1)"
use_daemon A
ask 127.0.0.1 "$P" "client of A"
wait_notify "$(status_re 127.0.0.1 "$P" 3 2 1)"
# One reply in the exchange: A's 1 of its 2 replied went to B, B's only
# reply went to its client.
stop_daemon TERM || fail "A: SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log "$(stop_re 3 2 1)"
use_daemon B
stop_daemon TERM || fail "B: SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log "$(stop_re 2 1 1)"

# ---- 4: port 0, service ports, broadcast and multicast sources ----

note "4: source port 0, ports 53 and 123, 255.255.255.255 and 224.0.0.1 as sources"
write_conf "$conf" address=127.0.0.1 port="$P" raw="workers = 1;"
start_daemon "$conf"
# Where a reply to the spoofed sources below would go, if any: only the
# one from an ordinary port must arrive.
start_listener 127.0.0.3 "$S"
spoof 127.0.0.3 0 127.0.0.1 "$P" "port zero"
spoof 127.0.0.3 53 127.0.0.1 "$P" "from dns"
spoof 127.0.0.3 123 127.0.0.1 "$P" "from ntp"
# The kernel would drop such sources from the wire as martians, but not on
# loopback, where the sender's route is kept: they do reach the socket.
spoof 255.255.255.255 "$S" 127.0.0.1 "$P" "broadcast"
spoof 224.0.0.1 "$S" 127.0.0.1 "$P" "multicast"
wait_notify "$(status_re 127.0.0.1 "$P" 5 0 5)"
wait_reasons "bad-source 2 port-zero 1 service-port 2"
note "a spoofed source on an ordinary port, and a client, are answered"
spoof 127.0.0.3 "$S" 127.0.0.1 "$P" "ordinary"
poll_until "$UDP_REPLYD_TEST_WAIT" _listener_has 1 ||
	fail "no reply reached 127.0.0.3:$S: $(cat "$LISTEN_OUT")"
ask 127.0.0.1 "$P" "client"
assert_reply_from 127.0.0.1 "$P" 16
wait_notify "$(status_re 127.0.0.1 "$P" 7 2 5)"
stop_listener
assert_eq "$LISTENED" 1 "replies that reached 127.0.0.3:$S"
for src in 127.0.0.3:0 127.0.0.3:53 127.0.0.3:123 255.255.255.255:"$S" 224.0.0.1:"$S"; do
	no_log_from "${src%:*}" "${src##*:}"
done
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log "$(stop_re 7 2 5)"
console_accounting "$DAEMON_LOG" 7 >/dev/null

note "4b: loop_guard_ports = [ $S ]: port $S is refused, 53 is answered"
write_conf "$conf" address=127.0.0.1 port="$P" raw="workers = 1;" raw="loop_guard_ports = [ $S ];"
start_daemon "$conf"
start_listener 127.0.0.3 "$S"
spoof 127.0.0.3 "$S" 127.0.0.1 "$P" "listed port"
wait_notify "$(status_re 127.0.0.1 "$P" 1 0 1)"
wait_reasons "service-port 1"
spoof 127.0.0.3 53 127.0.0.1 "$P" "from dns, not listed"
wait_notify "$(status_re 127.0.0.1 "$P" 2 1 1)"
stop_listener
assert_eq "$LISTENED" 0 "replies that reached 127.0.0.3:$S (a listed port)"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log "$(stop_re 2 1 1)"

note "4c: loop_guard_ports = []: no service ports, the other rules stay"
write_conf "$conf" address=127.0.0.1 port="$P" raw="workers = 1;" raw="loop_guard_ports = [];"
start_daemon "$conf"
spoof 127.0.0.3 53 127.0.0.1 "$P" "from dns"
spoof 127.0.0.3 0 127.0.0.1 "$P" "port zero"
wait_notify "$(status_re 127.0.0.1 "$P" 2 1 1)"
wait_reasons "port-zero 1"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log "$(stop_re 2 1 1)"

# ---- 5: the reply text as the payload ----

# own_reply_case REPLY PAYLOAD ANSWERED(1|0) [REASONS]: one datagram with
# PAYLOAD from 127.0.0.3:S to a daemon replying REPLY.
own_reply_case() {
	write_conf "$conf" address=127.0.0.1 port="$P" raw="workers = 1;" reply="$1"
	start_daemon "$conf"
	start_listener 127.0.0.3 "$S"
	spoof 127.0.0.3 "$S" 127.0.0.1 "$P" "$2"
	if [ "$3" = 1 ]; then
		wait_notify "$(status_re 127.0.0.1 "$P" 1 1 0)"
		poll_until "$UDP_REPLYD_TEST_WAIT" _listener_has 1 ||
			fail "reply '$1', payload '$2': no reply reached 127.0.0.3:$S"
	else
		wait_notify "$(status_re 127.0.0.1 "$P" 1 0 1)"
		wait_reasons "$4"
	fi
	stop_listener
	assert_eq "$LISTENED" "$3" "reply '$1', payload '$2': replies that reached 127.0.0.3:$S"
	stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
	wait_log "$(stop_re 1 "$3" $((1 - $3)))"
}

note "5: the reply text itself (>= 8 bytes) gets no reply; a reply under 8 bytes is answered"
own_reply_case "own reply text" "own reply text" 0 "own-reply 1"
own_reply_case "12345678" "12345678" 0 "own-reply 1"
own_reply_case "1234567" "1234567" 1
own_reply_case "hi" "hi" 1
own_reply_case "own reply text" "own reply tex" 1
own_reply_case "own reply text" "own reply text " 1
own_reply_case "own reply text" "Own reply text" 1

note "5b: the default reply sent to a daemon with the default reply, from an ordinary client"
write_conf "$conf" address=127.0.0.1 port="$P" raw="workers = 1;"
start_daemon "$conf"
start_listener 127.0.0.3 "$S"
ask 127.0.0.1 "$P" "Hello UDP Server"
assert_reply_from 127.0.0.1 "$P" 16
spoof 127.0.0.3 "$S" 127.0.0.1 "$P" "Hello UDP Client"
wait_notify "$(status_re 127.0.0.1 "$P" 2 1 1)"
wait_reasons "own-reply 1"
stop_listener
assert_eq "$LISTENED" 0 "replies to the default reply text"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log "$(stop_re 2 1 1)"

# ---- 6: the records in the journal ----

note "6: in the journal: the policy summary records and the stop record's fields"
start_private_journald
LOG_TARGET=journal
write_conf "$conf" address=127.0.0.1 port="$P" raw="workers = 1;"
start_daemon "$conf"
pid=$DAEMON_PID
spoof 127.0.0.1 "$P" 127.0.0.1 "$P" "loop?"
spoof 127.0.0.3 0 127.0.0.1 "$P" "port zero"
wait_notify "$(status_re 127.0.0.1 "$P" 2 0 2)"
ask 127.0.0.1 "$P" "client"
wait_notify "$(status_re 127.0.0.1 "$P" 3 1 2)"
# The summaries (one or two: the drops may fall in two intervals) count both.
summaries_there() {
	journal_json "$T/summary.json" "_PID=$pid" "MESSAGE_ID=${UDP_REPLYD_MSGID}07" &&
		[ "$(jq -s '[.[].UDP_POLICY_DROPS | tonumber] | add // 0' "$T/summary.json")" = 2 ]
}
poll_until "$UDP_REPLYD_TEST_WAIT" summaries_there ||
	fail "policy summary records: $(cat "$T/journalctl.err") $(jq -c -s '[.[] | {MESSAGE, UDP_POLICY_DROPS, UDP_POLICY_DROP_REASONS}]' "$T/summary.json")"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
stopped_there() {
	journal_json "$T/all.json" "_PID=$pid" &&
		grep -q "\"MESSAGE_ID\":\"${UDP_REPLYD_MSGID}05\"" "$T/all.json"
}
poll_until "$UDP_REPLYD_TEST_WAIT" stopped_there ||
	fail "no stop record in the journal: $(cat "$T/journalctl.err")"

# jstr FILE FILTER STRING: jq -s FILTER on FILE is exactly STRING.
jstr() {
	jq -e -s --arg want "$3" "($2) == \$want" "$1" >/dev/null ||
		fail "$2: $(jq -c -s "$2" "$1"), wanted $(jq -n -c --arg w "$3" '$w')"
}
sum='[.[] | select(.MESSAGE_ID == "'"${UDP_REPLYD_MSGID}"'07")]'
jstr "$T/all.json" "$sum | [.[].UDP_POLICY_DROP_REASONS | split(\" \")[]] | sort | join(\" \")" \
	"port-zero:1 self:1"
jstr "$T/all.json" "$sum | all(.MESSAGE | test(\"^[12] datagrams? dropped by policy in the last [0-9.]+ s: [a-z -]+ [12](, [a-z-]+ 1)?; from 127[.]0[.]0[.]0/24 [12]\$\")) | tostring" true
jstr "$T/all.json" "$sum | all(.UDP_INTERVAL_USEC | test(\"^[0-9]+\$\")) | tostring" true
stop='[.[] | select(.MESSAGE_ID == "'"${UDP_REPLYD_MSGID}"'05")][0]'
jstr "$T/all.json" "$stop.UDP_POLICY_DROPS" 2
jstr "$T/all.json" "$stop.UDP_POLICY_DROP_REASONS" "self:1 port-zero:1"
jstr "$T/all.json" "$stop.UDP_RECEIVED" 3
jstr "$T/all.json" "$stop.UDP_REPLIED" 1
jstr "$T/all.json" "$stop.UDP_LOGGED" 1
jstr "$T/all.json" "$stop.MESSAGE | endswith(\", 2 dropped by policy, 1 logged, 0 not logged\") | tostring" true
# One datagram record: the client's. None for the dropped ones.
jstr "$T/all.json" '[.[] | select(.MESSAGE_ID == "'"${UDP_REPLYD_MSGID}"'01")] | length | tostring' 1
jstr "$T/all.json" '[.[] | select(.MESSAGE_ID == "'"${UDP_REPLYD_MSGID}"'01")][0].UDP_PAYLOAD' client

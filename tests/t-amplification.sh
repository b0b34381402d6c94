#!/bin/sh
# The amplification limit: a reply is sent only if its bytes are at most
# max(64, max_amplification x the request's bytes); max_amplification is 10
# by default, 0 switches the limit off. A refused request gets no reply, is
# not logged one by one, and is counted: STATUS= "D dropped by policy", the
# stop line, and the policy summaries' "amplification N". What the clients
# sent and received shows bytes out / bytes in within the limit. No root.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

free_port P
conf=$T/udp-replyd.conf
FLOOR=64

# payload N: N bytes of text (no NUL: it goes through argv).
payload() {
	[ "$1" -gt 0 ] || return 0
	printf "%0$1d" 0
}

# big_conf FILE REPLYLEN [LINE...]: a config with a reply of REPLYLEN 'R's.
big_conf() {
	_bc=$1
	_bl=$2
	shift 2
	{
		printf 'address = "127.0.0.1";\nport = %s;\nworkers = 1;\nreply = "' "$P"
		payload "$_bl" | tr 0 R
		printf '";\n'
		for _l in "$@"; do printf '%s\n' "$_l"; done
	} >"$_bc"
}

# ", D dropped by policy" when D > 0: where STATUS= and the stop line say
# it, right after the kernel drops (the one place to change if that moves).
policy_part() {
	[ "$1" -gt 0 ] && echo ", $1 dropped by policy"
	return 0
}

# status_re RECEIVED REPLIED DROPS: the STATUS= line, exactly. Refused
# datagrams are neither logged nor counted as not logged.
status_re() {
	echo "^STATUS=Serving 127\\.0\\.0\\.1:$P \\(1 worker\\): $1 received, $2 replied, 0 errors, 0 dropped by the kernel$(policy_part "$3"), 0 not logged\$"
}

# stop_re RECEIVED REPLIED DROPS: the console stop line after SIGTERM.
stop_re() {
	echo "^udp-replyd: stopping on SIGTERM: $1 received, $2 replied, 0 errors, 0 dropped by the kernel$(policy_part "$3"), $(($1 - $3)) logged, 0 not logged\$"
}

# amplification_summed: what the policy summaries count as amplification
# drops, added up; "MISMATCH" when a summary names another reason or its
# total is not the sum of its reasons.
amplification_summed() {
	sed -n 's/^udp-replyd: \([0-9][0-9]*\) datagrams\{0,1\} dropped by policy in the last [0-9.]* s: \(.*\); from .*$/\1 \2/p' \
		"$DAEMON_LOG" | awk '
		{ if ($2 != "amplification" || $3 != $1 || NF != 3) bad = 1; s += $1 }
		END { if (bad) print "MISMATCH"; else print s + 0 }'
}
_amplification_is() {
	[ "$(amplification_summed)" = "$1" ]
}
wait_amplification() {
	poll_until "$UDP_REPLYD_TEST_WAIT" _amplification_is "$1" ||
		fail "policy summaries: amplification '$(amplification_summed)', wanted '$1'"
}

# Totals of what the clients sent and got, for bytes out / bytes in.
bytes_in=0
bytes_out=0
answered=0

# answered_ask REQLEN REPLYLEN: a REQLEN-byte request draws the whole
# REPLYLEN-byte reply.
answered_ask() {
	ask 127.0.0.1 "$P" "$(payload "$1")"
	assert_reply_from 127.0.0.1 "$P" "$2"
	reply_body "$T/body"
	assert_eq "$(wc -c <"$T/body")" "$2" "reply bytes received for $1 bytes"
	bytes_in=$((bytes_in + $1))
	bytes_out=$((bytes_out + $2))
	answered=$((answered + 1))
}

# refused_ask REQLEN: a REQLEN-byte request, its client left waiting in the
# background. refused_done, after a later request was answered (one worker:
# in order, and a reply on loopback arrives before sendmsg returns), checks
# that nothing came back to any of them, and ends them.
nbg=0
refused=
refused_ask() {
	nbg=$((nbg + 1))
	"$UDPPROBE" ask -t 120 127.0.0.1 "$P" "$(payload "$1")" >"$T/refused$nbg.out" \
		2>"$T/refused$nbg.err" &
	track_pid $!
	refused="$refused $!:$nbg:$1"
	bytes_in=$((bytes_in + $1))
}
refused_done() {
	for _r in $refused; do
		_pid=${_r%%:*}
		_n=${_r#*:}
		_len=${_n#*:}
		_n=${_n%%:*}
		alive "$_pid" ||
			fail "the client of a refused $_len-byte request ended: $(cat "$T/refused$_n.out" "$T/refused$_n.err" | head -n 2)"
		kill -TERM "$_pid"
		wait "$_pid" 2>/dev/null || true
		untrack_pid "$_pid"
		[ ! -s "$T/refused$_n.out" ] ||
			fail "a refused $_len-byte request was answered: $(head -n 1 "$T/refused$_n.out")"
	done
	refused=
}

# within_limit FACTOR: bytes out <= max(64 x answered, FACTOR x bytes in).
within_limit() {
	_lim=$(($1 * bytes_in))
	[ "$_lim" -ge $((FLOOR * answered)) ] || _lim=$((FLOOR * answered))
	note "bytes in $bytes_in, bytes out $bytes_out, limit $_lim"
	[ "$bytes_out" -le "$_lim" ] ||
		fail "bytes out $bytes_out > limit $_lim (x$1 of $bytes_in in, floor $FLOOR)"
}

note "1: a 60000-byte reply at the default 10x"
big_conf "$conf" 60000
start_daemon "$conf"
note "a 0-byte request is refused"
refused_ask 0
wait_notify "$(status_re 1 0 1)"
note "a 5999-byte request is refused (60000 > 10 x 5999)"
refused_ask 5999
wait_notify "$(status_re 2 0 2)"
note "a 6000-byte request gets the reply (its full size counts, not the 1024 bytes of the buffer)"
answered_ask 6000 60000
wait_notify "$(status_re 3 1 2)"
refused_done
wait_amplification 2
within_limit 10
wait_log "^udp-replyd: 6000 bytes \\(truncated to 1024\\) from 127\\.0\\.0\\.1:"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log "$(stop_re 3 1 2)"
# No record for the refused ones: one datagram line, the 6000 bytes.
console_accounting "$DAEMON_LOG" 3 >/dev/null

note "2: max_amplification = 0 answers the empty datagram with 60000 bytes"
big_conf "$conf" 60000 "max_amplification = 0;"
start_daemon "$conf"
answered_ask 0 60000
wait_notify "$(status_re 1 1 0)"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log "$(stop_re 1 1 0)"
bytes_in=0 bytes_out=0 answered=0

note "3: the floor: a 64-byte reply answers an empty datagram, a 65-byte one needs 7 bytes at 10x"
big_conf "$conf" 64
start_daemon "$conf"
answered_ask 0 64
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log "$(stop_re 1 1 0)"
big_conf "$conf" 65
start_daemon "$conf"
refused_ask 0
wait_notify "$(status_re 1 0 1)"
refused_ask 6
wait_notify "$(status_re 2 0 2)"
answered_ask 7 65
wait_notify "$(status_re 3 1 2)"
refused_done
wait_amplification 2
within_limit 10
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log "$(stop_re 3 1 2)"
bytes_in=0 bytes_out=0 answered=0

note "4: max_amplification = 1: a 100-byte reply needs 100 bytes"
big_conf "$conf" 100 "max_amplification = 1;"
start_daemon "$conf"
refused_ask 99
wait_notify "$(status_re 1 0 1)"
answered_ask 100 100
wait_notify "$(status_re 2 1 1)"
refused_done
wait_amplification 1
within_limit 1
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log "$(stop_re 2 1 1)"

note "5: the default reply (16 bytes) answers an empty datagram, and the tutorial exchange"
write_conf "$conf" address=127.0.0.1 port="$P" raw="workers = 1;"
start_daemon "$conf"
answered_ask 0 16
ask 127.0.0.1 "$P" "Hello UDP Server"
reply_body "$T/body"
assert_file_eq "$T/body" "Hello UDP Client"
wait_notify "$(status_re 2 2 0)"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log "$(stop_re 2 2 0)"
if grep -q 'dropped by policy' "$DAEMON_LOG"; then
	fail "the default config dropped something: $(grep 'dropped by policy' "$DAEMON_LOG")"
fi

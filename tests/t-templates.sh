#!/bin/sh
# Reply templates: every placeholder expanded per datagram, the echo
# binary-safe, echoed bytes counted by the amplification limit, a reply cut
# at 65507 bytes counted, a templated reply exempt from the own-reply rule,
# a bad template a FILE:LINE error, also on reload (the old one serves on).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

# A journald of its own, for the stop record's UDP_REPLIES_TRUNCATED.
enter_private_mount_ns "$@"
start_private_journald
LOG_TARGET=console

free_port P
free_port S
conf=$T/udp-replyd.conf

# expect_body WANT: the last ask's reply bytes are exactly WANT (printf format).
expect_body() {
	reply_body "$T/body"
	# shellcheck disable=SC2059 # WANT is a printf format on purpose
	printf "$1" >"$T/want"
	cmp -s "$T/body" "$T/want" ||
		fail "reply '$(od -c "$T/body" | head -n 3)', wanted '$(od -c "$T/want" | head -n 3)'"
}

# tconf REPLY [LINE...]: the service with this reply (libconfig string text);
# max_amplification = 0 unless a LINE sets it, buffer_size = 64 unless a
# LINE sets it.
tconf() {
	_r=$1
	shift
	{
		printf 'address = "127.0.0.1";\nport = %s;\nworkers = 1;\n' "$P"
		printf 'reply = "%s";\n' "$_r"
		case "$*" in *max_amplification*) ;; *) echo "max_amplification = 0;" ;; esac
		case "$*" in *buffer_size*) ;; *) echo "buffer_size = 64;" ;; esac
		for _l in "$@"; do printf '%s\n' "$_l"; done
	} >"$conf"
}

note "addresses, ports, size, service and %%"
tconf 'you are %{remote_addr} port %{remote_port} (%{remote}) to %{local} = %{local_addr}:%{local_port}, %{size} bytes, %{service}, 100%%'
start_daemon "$conf"
ask -s "127.0.0.1:$S" 127.0.0.1 "$P" "hello"
expect_body "you are 127.0.0.1 port $S (127.0.0.1:$S) to 127.0.0.1:$P = 127.0.0.1:$P, 5 bytes, 127.0.0.1:$P, 100%%"

note "the echo: binary, NUL bytes and all; %{size} is the whole datagram, %{payload} what was read"
tconf '[%{payload}] %{size}'
kill -HUP "$DAEMON_PID"
wait_notify -F READY=1 2
ask 127.0.0.1 "$P" -x "00 01 41 ff 0a 00 25 7b 7d"
expect_body '[\000\001A\377\n\000%%{}] 9'
long=$(printf '%070d' 0)
ask 127.0.0.1 "$P" "$long"
expect_body "[$(printf '%064d' 0)] 70"

note "time and host name"
tconf '%{time}|%{time_us}|%{hostname}'
kill -HUP "$DAEMON_PID"
wait_notify -F READY=1 3
before=$(date -u +%s)
ask 127.0.0.1 "$P" "when"
after=$(date -u +%s)
reply_body "$T/body"
IFS='|' read -r t1 t2 host <"$T/body" || true
printf '%s\n' "$t1" | grep -E -q -x '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z' ||
	fail "%{time}: '$t1'"
printf '%s\n' "$t2" | grep -E -q -x '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z' ||
	fail "%{time_us}: '$t2'"
secs=$(date -u -d "$t1" +%s) || fail "date cannot read '$t1'"
[ "$secs" -ge "$before" ] && [ "$secs" -le "$after" ] ||
	fail "%{time} $t1 is not between $before and $after"
assert_eq "$host" "$(hostname)" "%{hostname}"

note "a templated reply is exempt from the own-reply rule"
tconf 'echo: %{payload}'
kill -HUP "$DAEMON_PID"
wait_notify -F READY=1 4
ask 127.0.0.1 "$P" 'echo: %{payload}'
expect_body 'echo: echo: %%{payload}'

note "echoed bytes count for the amplification limit (max_amplification = 2)"
fixed=$(printf '%0100d' 0 | tr 0 F)
tconf "$fixed%{payload}%{payload}%{payload}" "max_amplification = 2;" "buffer_size = 1000;"
kill -HUP "$DAEMON_PID"
wait_notify -F READY=1 5
# 100 fixed bytes and the request three times: 20, 100 and 200 bytes in
# would get 160, 400 and 700 out, each over 2 x the request: refused.
for n in 20 100 200; do
	expect_exit 1 "$UDPPROBE" ask -t 0.3 127.0.0.1 "$P" "$(printf "%0${n}d" 0)"
done
tconf "$fixed%{payload}" "max_amplification = 2;" "buffer_size = 1000;"
kill -HUP "$DAEMON_PID"
wait_notify -F READY=1 6
# 100 bytes in, 200 out = 2 x 100: answered.
ask 127.0.0.1 "$P" "$(printf '%0100d' 0)"
assert_reply_from 127.0.0.1 "$P" 200
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log -F "dropped by policy"
stopline=$(grep '^udp-replyd: stopping on SIGTERM: ' "$DAEMON_LOG")
printf '%s\n' "$stopline" | grep -q ', 3 dropped by policy,' ||
	fail "the amplification drops are not counted: $stopline"

note "a reply longer than 65507 bytes is cut there, and counted"
# 1100 fixed bytes and 65535 echoed: 66635, over the cap.
fixed=$(printf '%01100d' 0 | tr 0 F)
tconf "$fixed%{payload}" "max_amplification = 0;" "buffer_size = 65535;"
LOG_TARGET=journal
start_daemon "$conf"
pid=$DAEMON_PID
ask -t 3 127.0.0.1 "$P" "$(printf '%065000d' 0)"
assert_reply_from 127.0.0.1 "$P" 65507
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
stopped() {
	journal_json "$T/all.json" "_PID=$pid" && grep -q '"UDP_REPLIES_TRUNCATED"' "$T/all.json"
}
poll_until "$UDP_REPLYD_TEST_WAIT" stopped || fail "no UDP_REPLIES_TRUNCATED in the stop record"
assert_eq "$(jq -r -s '[.[] | select(.UDP_REPLIES_TRUNCATED) | .UDP_REPLIES_TRUNCATED] | join(",")' "$T/all.json")" 1 \
	"UDP_REPLIES_TRUNCATED"

note "errors: FILE:LINE, at start and on reload"
LOG_TARGET=console
tconf 'hi %{nmae}'
expect_exit 78 "$UDP_REPLYD" -c "$conf" -t >"$T/err" 2>&1
grep -q -F "$conf:4: reply: unknown placeholder '%{nmae}'" "$T/err" ||
	fail "bad template: $(cat "$T/err")"
grep -q -F "(byte 4, in \"hi %{nmae}\")" "$T/err" || fail "bad template, where: $(cat "$T/err")"
tconf '100% sure'
expect_exit 78 "$UDP_REPLYD" -c "$conf" -t >"$T/err" 2>&1
grep -q -F "$conf:4: reply: " "$T/err" || fail "a bare %: $(cat "$T/err")"
grep -q -F "%%" "$T/err" || fail "the message does not say to write %%: $(cat "$T/err")"
tconf 'fine %{remote}'
start_daemon "$conf"
tconf 'broken %{'
kill -HUP "$DAEMON_PID"
wait_notify -F READY=1 2
wait_log -F "reload failed, keeping the old configuration: $conf:4: reply: "
ask -s "127.0.0.1:$S" 127.0.0.1 "$P" "still"
expect_body "fine 127.0.0.1:$S"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"

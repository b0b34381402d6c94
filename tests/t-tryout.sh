#!/bin/sh
# The try-out mode, like nc -lu: --listen, --reply and --set run the daemon
# without writing a config file; over a file, they override its settings;
# --check-config shows the merged result; a reload keeps them.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

free_port P
free_port Q
conf=$T/udp-replyd.conf

# expect_reply PORT MESSAGE REPLY [HOST]: one ask, and its reply's bytes.
expect_reply() {
	ask "${4:-127.0.0.1}" "$1" "$2"
	reply_body "$T/body"
	printf '%s' "$3" >"$T/want"
	cmp -s "$T/body" "$T/want" || fail "port $1: reply '$(cat "$T/body")', wanted '$3'"
}

note "no file: --listen and --reply only (-c names a file that does not exist: an error)"
expect_exit 78 "$UDP_REPLYD" -c "$T/missing.conf" --listen "127.0.0.1:$P" -t
"$UDP_REPLYD" --listen "127.0.0.1:$P" --reply 'hi "there"' -t >"$T/check.out" 2>&1 ||
	fail "-t: $(cat "$T/check.out")"
# shellcheck disable=SC2016 # the reply as --check-config prints it
grep -q -x 'reply "hi \\"there\\""' "$T/check.out" || fail "-t: $(cat "$T/check.out")"
grep -q -x "port $P" "$T/check.out" || fail "-t: $(cat "$T/check.out")"

note "over a file: the command line wins, the file gives the rest"
write_conf "$conf" address=127.0.0.1 port="$Q" reply="from the file" buffer_size=8 \
	raw="workers = 1;"
"$UDP_REPLYD" -c "$conf" --listen "$P" --set 'reply="from --set"' --set 'buffer_size = 4' \
	-t >"$T/check.out" 2>&1 || fail "-t: $(cat "$T/check.out")"
grep -q -x "port $P" "$T/check.out" || fail "--listen PORT: $(cat "$T/check.out")"
grep -q -x 'address "127.0.0.1"' "$T/check.out" || fail "address: $(cat "$T/check.out")"
grep -q -x 'reply "from --set"' "$T/check.out" || fail "--set reply: $(cat "$T/check.out")"
grep -q -x 'buffer_size 4' "$T/check.out" || fail "--set buffer_size: $(cat "$T/check.out")"
grep -q -x 'workers 1' "$T/check.out" || fail "workers from the file: $(cat "$T/check.out")"

note "errors name the command line"
expect_exit 78 "$UDP_REPLYD" -c "$conf" --set port=70000 -t
"$UDP_REPLYD" -c "$conf" --set port=70000 -t 2>&1 | grep -q -F \
	"command line:1: port: must be an integer from 1 to 65535, not 70000" ||
	fail "--set port=70000: $("$UDP_REPLYD" -c "$conf" --set port=70000 -t 2>&1)"
expect_exit 64 "$UDP_REPLYD" --listen "::1:$P" -t
expect_exit 64 "$UDP_REPLYD" --listen "127.0.0.1:0" -t
expect_exit 64 "$UDP_REPLYD" --set "=1" -t
expect_exit 64 "$UDP_REPLYD" --set "port" -t

note "serving: the file's port is not used, the command line's is"
start_daemon "$conf" --listen "127.0.0.1:$P" --reply "tried out"
expect_reply "$P" "hello" "tried out"
expect_exit 1 "$UDPPROBE" ask -t 0.3 127.0.0.1 "$Q" "the file's port"
note "a reload rereads the file and applies the command line again"
write_conf "$conf" address=127.0.0.1 port="$Q" reply="from the file" buffer_size=2 \
	raw="workers = 1;"
kill -HUP "$DAEMON_PID"
wait_notify -F READY=1 2
wait_log -F "reloaded $conf: serving 127.0.0.1:$P (buffer 2 bytes, reply 9 bytes)"
expect_reply "$P" "hello" "tried out"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"

note "IPv6: [ADDR]:PORT"
if have_ipv6; then
	start_daemon_cmd "$UDP_REPLYD" --listen "[::1]:$P" --reply v6 --log-target=console \
		--set workers=1
	wait_notify -F READY=1
	expect_reply "$P" "hello" "v6" ::1
	stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
fi

#!/bin/sh
# Truncation (buffer_size), 0-byte datagrams, binary payloads and their escaping.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

free_port P
from="from 127\.0\.0\.1:[0-9]+ to 127\.0\.0\.1:$P"
a100=$(printf '%0100d' 0 | tr 0 a)
a64=$(printf '%064d' 0 | tr 0 a)

write_conf "$T/small.conf" address=127.0.0.1 port="$P" buffer_size=8
start_daemon "$T/small.conf"
wait_log -F "udp-replyd: serving 127.0.0.1:$P (buffer 8 bytes, reply 16 bytes)"

note "100 bytes into an 8-byte buffer"
ask 127.0.0.1 "$P" "$a100"
assert_reply_from 127.0.0.1 "$P" 16
reply_body "$T/body"
assert_file_eq "$T/body" "Hello UDP Client"
# The 8 bytes read are all shown: no "..." (that marks bytes read but not shown).
wait_log "^udp-replyd: 100 bytes \(truncated to 8\) $from: \"aaaaaaaa\"\$"

note "exactly buffer_size bytes is not truncated"
ask 127.0.0.1 "$P" "12345678"
wait_log "^udp-replyd: 8 bytes $from: \"12345678\"\$"
ask 127.0.0.1 "$P" "123456789"
wait_log "^udp-replyd: 9 bytes \(truncated to 8\) $from: \"12345678\"\$"

note "a 0-byte datagram gets a reply"
ask 127.0.0.1 "$P" ""
assert_reply_from 127.0.0.1 "$P" 16
reply_body "$T/body"
assert_file_eq "$T/body" "Hello UDP Client"
wait_log "^udp-replyd: 0 bytes $from: \"\"\$"

note "binary payload with NUL bytes"
ask 127.0.0.1 "$P" -x "00 01 41 ff 0a 00 7f 09"
assert_reply_from 127.0.0.1 "$P" 16
wait_log -F ' bytes from 127.0.0.1:'
wait_log "^udp-replyd: 8 bytes $from: \"\\\\x00\\\\x01A\\\\xff\\\\n\\\\x00\\\\x7f\\\\t\"\$"

note "quotes, backslashes, carriage return, valid and invalid UTF-8"
ask 127.0.0.1 "$P" -x '61 22 62 5c 0d'             # a"b\<CR>
wait_log "^udp-replyd: 5 bytes $from: \"a\\\\\"b\\\\\\\\\\\\r\"\$"
ask 127.0.0.1 "$P" -x '68 c3 a9 6c 6c 6f'          # héllo
wait_log "^udp-replyd: 6 bytes $from: \"h$(printf '\303\251')llo\"\$"
ask 127.0.0.1 "$P" -x '68 c3 28 e2 82'             # a broken sequence, then a cut one
wait_log "^udp-replyd: 5 bytes $from: \"h\\\\xc3\\(\\\\xe2\\\\x82\"\$"

wait_notify "^STATUS=Serving 127\.0\.0\.1:$P \\([0-9]+ workers?\\): 8 received, 8 replied, 0 errors, 0 dropped by the kernel, 0 not logged\$"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"

note "the message shows at most 64 bytes, then ..."
write_conf "$T/big.conf" address=127.0.0.1 port="$P"
start_daemon "$T/big.conf"
ask 127.0.0.1 "$P" "$a100"
assert_reply_from 127.0.0.1 "$P" 16
wait_log "^udp-replyd: 100 bytes $from: \"$a64\"\.\.\.\$"
ask 127.0.0.1 "$P" "$a64"
wait_log "^udp-replyd: 64 bytes $from: \"$a64\"\$"
# A 1500-byte datagram into 1024 bytes.
ask 127.0.0.1 "$P" "$(printf '%01500d' 0 | tr 0 b)"
assert_reply_from 127.0.0.1 "$P" 16
wait_log "^udp-replyd: 1500 bytes \(truncated to 1024\) $from: \"$(printf '%064d' 0 | tr 0 b)\"\.\.\.\$"
# The largest IPv4 UDP payload.
ask 127.0.0.1 "$P" "$(printf '%065507d' 0)"
assert_reply_from 127.0.0.1 "$P" 16
wait_log "^udp-replyd: 65507 bytes \(truncated to 1024\) $from: \"0{64}\"\.\.\.\$"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"

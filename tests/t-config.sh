#!/bin/sh
# --check-config, config errors (one FILE:LINE line, exit 78), option errors
# (64), and the other start-up exit codes (69 cannot bind, 71 no memory).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

shipped=$top_srcdir/etc/udp-replyd.conf

note "--check-config on the shipped config prints the defaults"
"$UDP_REPLYD" --check-config -c "$shipped" >"$T/stdout" 2>"$T/stderr" ||
	fail "--check-config $shipped: exit $?: $(cat "$T/stderr")"
cat >"$T/expected" <<EOT
$shipped: OK
address "127.0.0.1"
port 20001
buffer_size 1024
reply "Hello UDP Client"
log_datagrams true
workers auto
receive_buffer default
loop_guard true
loop_guard_ports [7, 13, 17, 19, 37, 53, 69, 123, 137, 138, 161, 162, 1900, 5353, 11211]
max_amplification 10
allow []
deny []
send_buffer default
rate_limit 100/s burst 200 ipv4_prefix 24 ipv6_prefix 56
rate_limit_exempt ["127.0.0.0/8", "::1/128"]
EOT
cmp "$T/stdout" "$T/expected" || fail "--check-config printed: $(cat "$T/stdout")"
[ ! -s "$T/stderr" ] || fail "--check-config wrote to stderr: $(cat "$T/stderr")"
"$UDP_REPLYD" -t -c "$shipped" >"$T/stdout2" || fail "-t: exit $?"
cmp -s "$T/stdout" "$T/stdout2" || fail "-t and --check-config differ"

note "one setting at its default is all defaults (an empty file is refused, below)"
printf '# all defaults\nport = 20001;\n' >"$T/one.conf"
"$UDP_REPLYD" --check-config -c "$T/one.conf" >"$T/stdout" || fail "one setting: exit $?"
sed "1s|.*|$T/one.conf: OK|" "$T/expected" >"$T/expected.one"
cmp -s "$T/stdout" "$T/expected.one" || fail "one setting printed: $(cat "$T/stdout")"

note "every setting, the reply escaped"
cat >"$T/all.conf" <<'EOT'
# comment
address = "::1";
port = 65535;
buffer_size = 1;
reply = "tab\there \"quoted\" back\\slash nl\n bell\x07 \xc3\xa9";
log_datagrams = false;
workers = 256;
receive_buffer = 1073741824;
loop_guard = false;
loop_guard_ports = [
	53,	# DNS
	53,	# once is enough
	7
];
max_amplification = 0;
allow = ["192.0.2.0/24", "2001:db8::/32", "::ffff:198.51.100.7"];
deny = ["192.0.2.66"];
send_buffer = 65536;
rate_limit = {
	rate = 1000000;
	burst = 1;
	ipv4_prefix = 32;	# each address its own bucket
	ipv6_prefix = 128;
	exempt = ["192.0.2.0/24", "::ffff:198.51.100.7", "2001:db8::/48", "192.0.2.0/24"];
};
EOT
"$UDP_REPLYD" --check-config -c "$T/all.conf" >"$T/stdout" || fail "all.conf: exit $?"
printf '%s: OK\naddress "::1"\nport 65535\nbuffer_size 1\nreply "%s"\n%s\n' "$T/all.conf" \
	'tab\there \"quoted\" back\\slash nl\n bell\x07 é' \
	'log_datagrams false
workers 256
receive_buffer 1073741824
loop_guard false
loop_guard_ports [53, 7]
max_amplification 0
allow ["192.0.2.0/24", "2001:db8::/32", "198.51.100.7/32"]
deny ["192.0.2.66/32"]
send_buffer 65536
rate_limit 1000000/s burst 1 ipv4_prefix 32 ipv6_prefix 128
rate_limit_exempt ["192.0.2.0/24", "198.51.100.7/32", "2001:db8::/48"]' >"$T/expected"
cmp -s "$T/stdout" "$T/expected" || fail "all.conf printed: $(cat "$T/stdout")"
write_conf "$T/names.conf" address=localhost port=1 buffer_size=65535 reply="" workers=auto \
	raw='log_datagrams = true;' raw='receive_buffer = 4096;' raw='loop_guard = true;' \
	raw='loop_guard_ports = [];' raw='max_amplification = 65535;' \
	raw='rate_limit = { rate = 0; ipv4_prefix = 8; ipv6_prefix = 16; exempt = []; };'
"$UDP_REPLYD" --check-config -c "$T/names.conf" >"$T/stdout" || fail "names.conf: exit $?"
printf '%s: OK\naddress "localhost"\nport 1\nbuffer_size 65535\nreply ""\n%s\n' "$T/names.conf" \
	'log_datagrams true
workers auto
receive_buffer 4096
loop_guard true
loop_guard_ports []
max_amplification 65535
allow []
deny []
send_buffer default
rate_limit off
rate_limit_exempt []' >"$T/expected"
cmp -s "$T/stdout" "$T/expected" || fail "names.conf printed: $(cat "$T/stdout")"

# bad NAME EXPECTED-LINE-WITHOUT-FILE < config text: exit 78 and exactly one
# line on stderr, "FILE:LINE: what", both with --check-config and without.
bad() {
	cat >"$T/$1.conf"
	for mode in --check-config --log-target=console; do
		rc=0
		"$UDP_REPLYD" $mode -c "$T/$1.conf" >"$T/stdout" 2>"$T/stderr" || rc=$?
		[ "$rc" = 78 ] || fail "$1 ($mode): exit $rc, wanted 78"
		[ ! -s "$T/stdout" ] || fail "$1 ($mode): wrote to stdout: $(cat "$T/stdout")"
		[ "$(wc -l <"$T/stderr")" = 1 ] || fail "$1 ($mode): wanted one line: $(cat "$T/stderr")"
		case $2 in
		*'*')	# only the start is known
			case $(cat "$T/stderr") in
			"$T/$1.conf:${2%\*}"*) ;;
			*) fail "$1 ($mode): '$(cat "$T/stderr")', wanted '$T/$1.conf:$2'" ;;
			esac ;;
		*)	assert_eq "$(cat "$T/stderr")" "$T/$1.conf:$2" "$1 ($mode)" ;;
		esac
	done
}

note "bad configs: exit 78, one FILE:LINE line"
bad port-range '2: port: must be an integer from 1 to 65535, not 70000' <<'EOT'
address = "127.0.0.1";
port = 70000;
EOT
bad port-zero '1: port: must be an integer from 1 to 65535, not 0' <<'EOT'
port = 0;
EOT
bad port-string '2: port: must be an integer, not a string' <<'EOT'

port = "20001";
EOT
bad port-negative '1: port: must be an integer from 1 to 65535, not -1' <<'EOT'
port = -1;
EOT
bad buffer-zero '3: buffer_size: *' <<'EOT'
# the buffer
#
buffer_size = 0;
EOT
bad buffer-big '1: buffer_size: *' <<'EOT'
buffer_size = 65536;
EOT
bad buffer-float '1: buffer_size: *' <<'EOT'
buffer_size = 10.5;
EOT
bad typo '4: unknown setting "prot"' <<'EOT'
address = "127.0.0.1";
reply = "x";
buffer_size = 10;
prot = 20001;
EOT
bad syntax '3: syntax error' <<'EOT'
address = "127.0.0.1";
port = 20001;
reply = ;
EOT
bad address '1: address: "not an address!": not an IP address or host name' <<'EOT'
address = "not an address!";
EOT
bad address-int '1: address: *' <<'EOT'
address = 127;
EOT
bad reply-int '2: reply: *' <<'EOT'
port = 20001;
reply = 42;
EOT
bad group '1: *' <<'EOT'
server = { port = 1; };
EOT
{ printf 'reply = "'; head -c 65508 /dev/zero | tr '\0' r; printf '";\n'; } >"$T/long.txt"
bad reply-long '1: reply: *' <"$T/long.txt"
bad log-int '2: log_datagrams: must be a boolean, not an integer' <<'EOT'
# 0 is not false
log_datagrams = 0;
EOT
bad workers-string '1: workers: must be an integer from 1 to 256 or "auto", not "all"' <<'EOT'
workers = "all";
EOT
bad workers-range '1: workers: must be an integer from 1 to 256 or "auto", not 0' <<'EOT'
workers = 0;
EOT
bad receive-zero '1: receive_buffer: must be an integer from 4096 to 1073741824, not 0' <<'EOT'
receive_buffer = 0;
EOT
bad loop-guard-int '1: loop_guard: must be a boolean, not an integer' <<'EOT'
loop_guard = 0;
EOT
bad guard-ports-list '2: loop_guard_ports: must be an array of ports like [53, 123], not a list' <<'EOT'
# ( ) is a list, [ ] an array
loop_guard_ports = ( 53, 123 );
EOT
bad guard-ports-scalar '1: loop_guard_ports: must be an array of ports like [53, 123], not an integer' <<'EOT'
loop_guard_ports = 53;
EOT
bad guard-ports-range '3: loop_guard_ports: 70000 is not a port (1 to 65535)' <<'EOT'
loop_guard_ports = [
	53,
	70000
];
EOT
i=1
{
	printf 'loop_guard_ports = [\n'
	while [ $i -le 65 ]; do
		printf '\t%d,\n' $i
		i=$((i + 1))
	done
	printf '\t66\n];\n'
} >"$T/ports.txt"
bad guard-ports-many '66: loop_guard_ports: more than 64 ports' <"$T/ports.txt"
bad amplification-range '1: max_amplification: must be an integer from 0 to 65535, not 65536' <<'EOT'
max_amplification = 65536;
EOT
bad acl-host-bits '2: allow: "192.0.2.7/24": host bits set' <<'EOT'
# a comment
allow = ["192.0.2.7/24"];
EOT
bad acl-not-address '1: deny: "example.org": not an address' <<'EOT'
deny = ["example.org"];
EOT
bad acl-list '1: allow: must be an array of prefixes like ["192.0.2.0/24"], not a list' <<'EOT'
allow = ("192.0.2.0/24");
EOT
bad acl-ints '1: deny: must be an array of prefixes like ["192.0.2.0/24"], not an array of integers' <<'EOT'
deny = [1, 2];
EOT
bad send-buffer-small '1: send_buffer: must be an integer from 4096 to 1073741824, not 1' <<'EOT'
send_buffer = 1;
EOT
bad rate-limit-scalar '2: rate_limit: must be a group like { rate = 100; }, not an integer' <<'EOT'
# rate = 100 is written in the group
rate_limit = 100;
EOT
bad rate-limit-list '1: rate_limit: must be a group like { rate = 100; }, not a list' <<'EOT'
rate_limit = ( 100, 200 );
EOT
bad rate-limit-unknown '3: rate_limit: unknown setting "prefix"' <<'EOT'
rate_limit = {
	rate = 50;
	prefix = 24;
};
EOT
bad rate-negative '2: rate_limit.rate: must be an integer from 0 to 1000000, not -1' <<'EOT'
rate_limit = {
	rate = -1;
};
EOT
bad rate-big '1: rate_limit.rate: must be an integer from 0 to 1000000, not 1000001' <<'EOT'
rate_limit = { rate = 1000001; };
EOT
bad rate-string '1: rate_limit.rate: must be an integer, not a string' <<'EOT'
rate_limit = { rate = "100/s"; };
EOT
bad burst-zero '1: rate_limit.burst: must be an integer from 1 to 1000000, not 0' <<'EOT'
rate_limit = { burst = 0; };
EOT
bad ipv4-prefix '1: rate_limit.ipv4_prefix: must be an integer from 8 to 32, not 33' <<'EOT'
rate_limit = { ipv4_prefix = 33; };
EOT
bad ipv6-prefix '1: rate_limit.ipv6_prefix: must be an integer from 16 to 128, not 8' <<'EOT'
rate_limit = { ipv6_prefix = 8; };
EOT
bad exempt-host-bits '3: rate_limit.exempt: "10.1.2.3/8": host bits set' <<'EOT'
rate_limit = {
	exempt = ["127.0.0.0/8",
		"10.1.2.3/8"];
};
EOT
bad exempt-string '1: rate_limit.exempt: must be an array of prefixes like ["192.0.2.0/24"], not a string' <<'EOT'
rate_limit = { exempt = "127.0.0.0/8"; };
EOT
bad rate-limit-top-level-rate '1: unknown setting "rate"' <<'EOT'
rate = 100;
EOT
# No setting at all: a file emptied or cut short while edited is not "the defaults".
empty='0: no settings (an empty file is refused: to run on the defaults, set one of them, such as port = 20001;)'
bad empty "$empty" </dev/null
printf ' \n\t\n' >"$T/blank.txt"
bad blank "$empty" <"$T/blank.txt"
bad comments-only "$empty" <<'EOT'
# address = "127.0.0.1";
// port = 20001;
/* reply = "Hello UDP Client"; */
EOT
# libconfig would take the rest of the file as the comment, silently.
bad comment-unclosed '3: a /* comment that is never closed (the rest of the file would be ignored)' <<'EOT'
reply = "/* in a string */"; # /* after a hash
// /* after slashes
port = 20002; /* from here
port = 70000;
EOT
# libconfig would end the text inside the string, silently (the fuzzer found it).
bad string-unclosed '2: a string that is never closed (the rest of the file would be ignored)' <<'EOT'
port = 20002; reply = "a \" quoted";
"
buffer_size = 64;
EOT
bad nested '2: nested too deep (at most 16 levels)' <<'EOT'
# libconfig itself says "memory exhausted", at about 5000 levels
x = ((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))))))));
EOT
# libconfig 1.5 stores these as -1 and as the largest 64-bit integer.
bad hex64 '1: integer 0x10000000000004E21L is out of range' <<'EOT'
port = 0x10000000000004E21L;
EOT
bad int64 '1: integer 99999999999999999999L is out of range' <<'EOT'
port = 99999999999999999999L;
EOT
# The caps, checked before libconfig reads the file (udp-replyd.conf(5)).
i=0
while [ $i -le 128 ]; do
	printf 's%d = %d;\n' $i $i
	i=$((i + 1))
done >"$T/settings.txt"
bad settings '129: more than 128 settings' <"$T/settings.txt"
head -c 524289 /dev/zero | tr '\0' '#' >"$T/big.txt"
bad big '0: larger than 524288 bytes' <"$T/big.txt"

note "a missing config file: FILE:0"
rc=0
"$UDP_REPLYD" --check-config -c "$T/missing.conf" 2>"$T/stderr" || rc=$?
assert_eq "$rc" 78 "missing file exit"
assert_eq "$(cat "$T/stderr")" "$T/missing.conf:0: cannot open: No such file or directory"
rc=0
"$UDP_REPLYD" -c "$T/missing.conf" --log-target=console 2>"$T/stderr" || rc=$?
assert_eq "$rc" 78 "missing file exit (daemon)"

note "a file whose size reads 0 (/proc) is read to its end: not an empty file"
for mode in --check-config --log-target=console; do
	rc=0
	"$UDP_REPLYD" $mode -c /proc/version >"$T/stdout" 2>"$T/stderr" || rc=$?
	assert_eq "$rc" 78 "/proc/version ($mode) exit"
	assert_eq "$(cat "$T/stderr")" "/proc/version:1: syntax error" "/proc/version ($mode)"
done

note "option errors: exit 64"
for args in --bogus -Z --log-target=syslog "-c" "--check-config extra"; do
	rc=0
	# shellcheck disable=SC2086 # split on purpose
	"$UDP_REPLYD" $args >"$T/stdout" 2>"$T/stderr" || rc=$?
	[ "$rc" = 64 ] || fail "udp-replyd $args: exit $rc, wanted 64"
	[ -s "$T/stderr" ] || fail "udp-replyd $args: nothing on stderr"
done
"$UDP_REPLYD" --version >"$T/stdout" || fail "--version: exit $?"
assert_eq "$(cat "$T/stdout")" "udp-replyd 1.0.0" "--version"
"$UDP_REPLYD" -V >"$T/stdout" || fail "-V: exit $?"
assert_eq "$(cat "$T/stdout")" "udp-replyd 1.0.0" "-V"
"$UDP_REPLYD" --help >"$T/stdout" || fail "--help: exit $?"
for opt in --config --check-config --log-target --help --version; do
	grep -q -e "$opt" "$T/stdout" || fail "--help does not mention $opt"
done

note "an address that does not resolve: exit 78, one FILE:LINE line, with -t and at start"
free_port P
if ! getent hosts no-such-host.invalid >/dev/null; then
	write_conf "$T/unresolvable.conf" address=no-such-host.invalid port="$P"
	for mode in --check-config --log-target=console; do
		rc=0
		"$UDP_REPLYD" $mode -c "$T/unresolvable.conf" >"$T/stdout" 2>"$T/stderr" || rc=$?
		assert_eq "$rc" 78 "unresolvable address ($mode) exit"
		[ ! -s "$T/stdout" ] || fail "unresolvable address ($mode): stdout: $(cat "$T/stdout")"
		[ "$(wc -l <"$T/stderr")" = 1 ] ||
			fail "unresolvable address ($mode): wanted one line: $(cat "$T/stderr")"
		case $(cat "$T/stderr") in
		"$T/unresolvable.conf:1: address \"no-such-host.invalid\": cannot resolve: "?*) ;;
		*) fail "unresolvable address ($mode): $(cat "$T/stderr")" ;;
		esac
	done
fi

note "an IPv4-mapped address is served as IPv4 (-t and start agree)"
write_conf "$T/mapped.conf" address=::ffff:127.0.0.1 port="$P" reply=mapped
"$UDP_REPLYD" -t -c "$T/mapped.conf" >"$T/stdout" || fail "mapped -t: exit $?"
grep -q -x -F 'address "::ffff:127.0.0.1"' "$T/stdout" || fail "mapped -t: $(cat "$T/stdout")"
start_daemon "$T/mapped.conf"
ask 127.0.0.1 "$P" "hi"
assert_reply_from 127.0.0.1 "$P" 6
stop_daemon TERM || fail "mapped: SIGTERM: exit $DAEMON_RC, wanted 0"

note "SIGHUP with the file emptied or cut to comments: refused, the old reply serves"
write_conf "$T/emptied.conf" address=127.0.0.1 port="$P" reply=kept
start_daemon "$T/emptied.conf"
n=0
for text in '' '# reply = "x";\n'; do
	printf '%b' "$text" >"$T/emptied.conf"
	n=$((n + 1))
	kill -HUP "$DAEMON_PID"
	wait_log -F "udp-replyd: reload failed, keeping the old configuration: $T/emptied.conf:$empty" "$n"
	"$UDPSEND" -t 3 127.0.0.1 "$P" "x" >"$T/out" || fail "after emptied reload $n: exit $?"
	assert_file_eq "$T/out" kept
done
stop_daemon TERM || fail "emptied: SIGTERM: exit $DAEMON_RC, wanted 0"

# Out of memory while loading is EX_OSERR (71) with a message, never 78:
# from the smallest limit the program runs at, in 256 KiB steps, with a file
# near CONFIG_FILE_MAX (it used to be read into a buffer whose failure was
# a config error). Not under valgrind or sanitizers: they need far more
# address space (t-memory.sh covers the rest under RLIMIT_AS).
note "out of memory while loading: 71, never 78"
if [ "${UDP_REPLYD_VALGRIND:-0}" = 1 ] || ! command -v prlimit >/dev/null ||
	! prlimit --as=$((64 * 1024 * 1024)) -- "$UDP_REPLYD" --version >/dev/null 2>&1; then
	note "skipped: valgrind, a sanitizer or no prlimit"
else
	{
		printf 'port = %s;\n' "$P"
		head -c 500000 /dev/zero | tr '\0' '#'
		printf '\n'
	} >"$T/large.conf"
	low=4
	while ! prlimit --as=$((low * 1024 * 1024)) -- "$UDP_REPLYD" --version >/dev/null 2>&1; do
		low=$((low + 1))
	done
	kib=$((low * 1024)) refused=0 rc=1
	while [ "$rc" != 0 ]; do
		[ "$kib" -le $((low * 1024 + 32768)) ] || fail "-t never passed within 32 MiB above $low MiB"
		rc=0
		prlimit --as=$((kib * 1024)) -- "$UDP_REPLYD" -t -c "$T/large.conf" \
			>/dev/null 2>"$T/stderr" || rc=$?
		case $rc in
		0) ;;
		71) grep -q "^$T/large.conf:0: not enough memory to parse the file" "$T/stderr" ||
			fail "$kib KiB: exit 71 without the message: $(cat "$T/stderr")"
			refused=$((refused + 1)) ;;
		*) fail "$kib KiB: -t exit $rc (wanted 0 or 71): $(head -c 300 "$T/stderr")" ;;
		esac
		kib=$((kib + 256))
	done
	note "refused cleanly $refused times from $low MiB, then passed at $((kib - 256)) KiB"
fi

note "cannot bind: exit 69"
write_conf "$T/busy.conf" address=127.0.0.1 port="$P"
start_daemon "$T/busy.conf"
rc=0
"$UDP_REPLYD" -c "$T/busy.conf" --log-target=console 2>"$T/stderr" || rc=$?
assert_eq "$rc" 69 "address in use exit"
grep -q -F "127.0.0.1:$P" "$T/stderr" || fail "address in use: $(cat "$T/stderr")"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
# 192.0.2.0/24 is TEST-NET-1: not an address of this host (unless it is).
if ! ip -o addr show 2>/dev/null | grep -q ' 192\.0\.2\.123/'; then
	write_conf "$T/notlocal.conf" address=192.0.2.123 port="$P"
	rc=0
	"$UDP_REPLYD" -c "$T/notlocal.conf" --log-target=console 2>"$T/stderr" || rc=$?
	assert_eq "$rc" 69 "address not local exit"
fi

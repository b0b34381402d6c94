#!/bin/sh
# check-units.sh - systemd-analyze verify and security on the built units.
#
# The units are verified as they are built, with one change: ExecStart=
# and ExecReload= point into the build tree, because verify insists that
# the binaries exist and "make check" runs before "make install". Documentation=
# man: pages are looked up in the source tree's man/ through MANPATH, so a
# page that is referred to but missing fails here too.
#
# The templates udp-replyd@.service and udp-replyd@.socket are checked as
# an instance, udp-replyd@test, with the drop-in udp-replyd-generator writes
# for it: the template socket alone has no address, on purpose.
#
# Environment (from systemd/Makefile.am): top_srcdir top_builddir builddir
# sbindir sysconfdir, all absolute.
set -u
# shellcheck disable=SC2154 # the variables come from the environment
: "${top_srcdir:?is set by make check}"
: "${top_builddir:?is set by make check}"
: "${builddir:?is set by make check}"
: "${sbindir:?is set by make check}"
: "${sysconfdir:?is set by make check}"

# shellcheck source=../tests/skip.sh
. "$top_srcdir/tests/skip.sh"
command -v systemd-analyze >/dev/null 2>&1 || skip "systemd-analyze not found (install systemd)"
command -v man >/dev/null 2>&1 || skip "man not found (install man-db)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-units.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
rc=0
fail() { echo "FAIL: $*"; rc=1; }

# A man tree (man1/, man5/, man8/) over the source tree's pages.
for page in "$top_srcdir"/man/*.[0-9]; do
	[ -e "$page" ] || continue
	sect=${page##*.}
	mkdir -p "$tmp/man/man$sect"
	ln -s "$page" "$tmp/man/man$sect/"
done

mkdir "$tmp/units"
cp "$builddir/udp-replyd.socket" "$builddir/udp-replyd@.socket" "$tmp/units/" || exit 99
for unit in udp-replyd.service udp-replyd@.service; do
	sed -e "s|^ExecStart=$sbindir/|ExecStart=$top_builddir/src/|" \
		-e "s|^ExecReload=$sbindir/|ExecReload=$top_builddir/src/|" \
		"$builddir/$unit" >"$tmp/units/$unit" || exit 99
done
grep -q "^ExecStart=$top_builddir/src/udp-replyd " "$tmp/units/udp-replyd.service" ||
	fail "ExecStart= of udp-replyd.service is not $sbindir/udp-replyd"
# The reload waits for the daemon's verdict (see the unit): a broken file
# fails "systemctl reload", which a bare kill -HUP never does.
grep -q "^ExecReload=$top_builddir/src/udp-replyd-reload .*\\\$MAINPID\$" \
	"$tmp/units/udp-replyd.service" ||
	fail "ExecReload= of udp-replyd.service is not $sbindir/udp-replyd-reload ... \$MAINPID"

# verify SOCKET SERVICE [NOTE]: systemd-analyze verify on the two units in
# $tmp/units; anything it prints is a failure.
verify() {
	out=$(cd "$tmp/units" && MANPATH="$tmp/man" systemd-analyze verify "$1" "$2" 2>&1)
	st=$?
	if [ $st -ne 0 ] || [ -n "$out" ]; then
		fail "systemd-analyze verify $1 $2 (exit $st)"
		printf '%s\n' "$out"
	else
		echo "PASS: systemd-analyze verify $1 $2${3:+, $3}"
	fi
}

# verify exits 0 on many problems it only warns about (a bad
# ListenDatagram= is "ignored"): anything it prints is a failure.
verify udp-replyd.socket udp-replyd.service

# The sandbox: exposure 0.5 or lower (--threshold counts tenths).
out=$(systemd-analyze security --offline=true --threshold=5 --no-pager \
	"$tmp/units/udp-replyd.service" 2>&1)
st=$?
exposure=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for udp-replyd.service: \([0-9.]*\).*/\1/p')
if [ $st -ne 0 ] || [ -z "$exposure" ]; then
	fail "systemd-analyze security: exposure ${exposure:-unknown} is over 0.5"
	printf '%s\n' "$out" | grep -v '^✓'
else
	echo "PASS: systemd-analyze security: exposure $exposure (at most 0.5)"
fi

# The service must always come from the socket.
for line in 'Requires=udp-replyd.socket' 'After=udp-replyd.socket' \
	    'Type=notify' 'NotifyAccess=main' 'PrivateNetwork=yes' \
	    'RestrictAddressFamilies=AF_UNIX' 'DynamicUser=yes' \
	    'LogRateLimitIntervalSec=0' 'RuntimeDirectory=udp-replyd' \
	    'Also=udp-replyd.socket'; do
	grep -qx "$line" "$tmp/units/udp-replyd.service" ||
		fail "udp-replyd.service lacks $line"
done

# ---- the templates, as the instance udp-replyd@test

# The generator's drop-in for it, from test.conf in an instances directory
# of our own (its drop-in for the main socket, from the same file, is not
# wanted here).
mkdir "$tmp/instances" "$tmp/gen"
printf 'address = "127.0.0.1";\nport = 20011;\nworkers = 2;\n' >"$tmp/instances/test.conf"
"$top_builddir/src/udp-replyd-generator" -c "$tmp/instances/test.conf" -d "$tmp/instances" \
	"$tmp/gen" || fail "udp-replyd-generator for udp-replyd@test failed"

# Without it the socket has no address and systemd refuses it: an instance
# with no usable config file listens nowhere.
out=$(cd "$tmp/units" && systemd-analyze verify --man=no udp-replyd@test.socket 2>&1)
if printf '%s\n' "$out" | grep -q 'has no Listen setting'; then
	echo "PASS: udp-replyd@test.socket without the generator's drop-in: no Listen setting, refused"
else
	fail "udp-replyd@test.socket without a drop-in is not refused for want of an address: $out"
fi

cp -r "$tmp/gen/udp-replyd@test.socket.d" "$tmp/units/" || exit 99
verify udp-replyd@test.socket udp-replyd@test.service "with the generator's drop-in"

out=$(cd "$tmp/units" && systemd-analyze security --offline=true --threshold=5 --no-pager \
	udp-replyd@test.service 2>&1)
st=$?
exposure_i=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for udp-replyd@test.service: \([0-9.]*\).*/\1/p')
if [ $st -ne 0 ] || [ -z "$exposure_i" ] || [ "$exposure_i" != "$exposure" ]; then
	fail "systemd-analyze security udp-replyd@test.service: exposure ${exposure_i:-unknown}, not that of udp-replyd.service (${exposure:-unknown}), or over 0.5"
	printf '%s\n' "$out" | grep -v '^✓'
else
	echo "PASS: systemd-analyze security udp-replyd@test.service: exposure $exposure_i, as udp-replyd.service"
fi

# The instance's own lines...
for line in 'Requires=udp-replyd@%i.socket' 'After=udp-replyd@%i.socket' \
	    "ExecStart=$top_builddir/src/udp-replyd --config=$sysconfdir/udp-replyd/%i.conf --log-target=journal" \
	    'RuntimeDirectory=udp-replyd@%i' 'Also=udp-replyd@%i.socket'; do
	grep -qxF "$line" "$tmp/units/udp-replyd@.service" ||
		fail "udp-replyd@.service lacks $line"
done
# ...and otherwise the settings of udp-replyd.service, in the same order, so
# that a change to one unit's sandbox cannot leave the other behind.
settings() { grep -v -e '^#' -e '^$' "$1"; }
settings "$tmp/units/udp-replyd@.service" |
	sed -e 's|^Description=UDP reply daemon, instance %i$|Description=UDP reply daemon|' \
	    -e 's|udp-replyd/%i\.conf|udp-replyd.conf|' -e 's|udp-replyd@%i|udp-replyd|' \
	>"$tmp/template.settings"
settings "$tmp/units/udp-replyd.service" >"$tmp/main.settings"
if diff "$tmp/main.settings" "$tmp/template.settings" >"$tmp/settings.diff"; then
	echo "PASS: udp-replyd@.service has udp-replyd.service's settings but for the instance's name"
else
	fail "udp-replyd@.service and udp-replyd.service differ (< main, > template, instance names replaced):"
	sed -n 's/^[<>]/  &/p' "$tmp/settings.diff"
fi
# The socket template: no address of its own; otherwise the main socket's.
if settings "$tmp/units/udp-replyd@.socket" | grep -q '^Listen'; then
	fail "udp-replyd@.socket has an address of its own: $(grep '^Listen' "$tmp/units/udp-replyd@.socket")"
fi
settings "$tmp/units/udp-replyd@.socket" |
	sed 's|^Description=UDP reply daemon socket, instance %i$|Description=UDP reply daemon socket|' \
	>"$tmp/template.settings"
settings "$tmp/units/udp-replyd.socket" | grep -v '^ListenDatagram=' >"$tmp/main.settings"
if diff "$tmp/main.settings" "$tmp/template.settings" >"$tmp/settings.diff"; then
	echo "PASS: udp-replyd@.socket is udp-replyd.socket without ListenDatagram="
else
	fail "udp-replyd@.socket and udp-replyd.socket differ (< main, > template):"
	sed -n 's/^[<>]/  &/p' "$tmp/settings.diff"
fi

# "systemctl enable udp-replyd" enables the socket (Also=), which starts the
# service on the first datagram; disable takes it back. Offline, in a root
# of our own.
root=$tmp/root
mkdir -p "$root/usr/lib/systemd/system" "$root/etc/systemd/system"
cp "$tmp/units/udp-replyd.socket" "$tmp/units/udp-replyd.service" \
	"$tmp/units/udp-replyd@.socket" "$tmp/units/udp-replyd@.service" "$root/usr/lib/systemd/system/" ||
	exit 99
wants=$root/etc/systemd/system/sockets.target.wants/udp-replyd.socket
out=$(SYSTEMD_LOG_LEVEL=notice systemctl --root="$root" enable udp-replyd.service 2>&1)
st=$?
if [ $st -ne 0 ] || [ ! -L "$wants" ] || printf '%s\n' "$out" | grep -q 'no installation config'; then
	fail "systemctl enable udp-replyd.service (exit $st) did not enable udp-replyd.socket"
	printf '%s\n' "$out"
else
	echo "PASS: systemctl enable udp-replyd.service enables udp-replyd.socket"
fi
out=$(systemctl --root="$root" is-enabled udp-replyd.service 2>&1)
[ "$out" = indirect ] || fail "systemctl is-enabled udp-replyd.service: $out, wanted indirect"
out=$(systemctl --root="$root" disable udp-replyd.service 2>&1)
st=$?
if [ $st -ne 0 ] || [ -e "$wants" ] || [ -L "$wants" ]; then
	fail "systemctl disable udp-replyd.service (exit $st) left $wants"
	printf '%s\n' "$out"
else
	echo "PASS: systemctl disable udp-replyd.service disables udp-replyd.socket"
fi

# The same for an instance: enabling udp-replyd@test (the service, through
# Also=, or the socket itself) links udp-replyd@test.socket into
# sockets.target.wants, to the template; and not udp-replyd.socket.
wants=$root/etc/systemd/system/sockets.target.wants
for unit in udp-replyd@test.service udp-replyd@test.socket; do
	out=$(SYSTEMD_LOG_LEVEL=notice systemctl --root="$root" enable "$unit" 2>&1)
	st=$?
	if [ $st -ne 0 ] || [ "$(readlink "$wants/udp-replyd@test.socket")" != /usr/lib/systemd/system/udp-replyd@.socket ] ||
	   [ -e "$wants/udp-replyd.socket" ] || [ -L "$wants/udp-replyd.socket" ] ||
	   printf '%s\n' "$out" | grep -q 'no installation config'; then
		fail "systemctl enable $unit (exit $st) did not enable udp-replyd@test.socket alone"
		printf '%s\n' "$out"
		ls -l "$wants" 2>&1
	else
		echo "PASS: systemctl enable $unit enables udp-replyd@test.socket"
	fi
	out=$(systemctl --root="$root" disable "$unit" 2>&1)
	st=$?
	if [ $st -ne 0 ] || [ -e "$wants/udp-replyd@test.socket" ] || [ -L "$wants/udp-replyd@test.socket" ]; then
		fail "systemctl disable $unit (exit $st) left $wants/udp-replyd@test.socket"
		printf '%s\n' "$out"
	else
		echo "PASS: systemctl disable $unit disables udp-replyd@test.socket"
	fi
done
exit $rc

#!/bin/sh
# check-units.sh - systemd-analyze verify and security on the built units.
#
# The units are verified as they are built, with one change: ExecStart=
# and ExecReload= point into the build tree, because verify insists that
# the binaries exist and "make check" runs before "make install". Documentation=
# man: pages are looked up in the source tree's man/ through MANPATH, so a
# page that is referred to but missing fails here too.
#
# Environment (from systemd/Makefile.am): top_srcdir top_builddir builddir
# sbindir, all absolute.
set -u
# shellcheck disable=SC2154 # the variables come from the environment
: "${top_srcdir:?is set by make check}"
: "${top_builddir:?is set by make check}"
: "${builddir:?is set by make check}"
: "${sbindir:?is set by make check}"

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
cp "$builddir/udp-replyd.socket" "$tmp/units/" || exit 99
sed -e "s|^ExecStart=$sbindir/|ExecStart=$top_builddir/src/|" \
	-e "s|^ExecReload=$sbindir/|ExecReload=$top_builddir/src/|" \
	"$builddir/udp-replyd.service" >"$tmp/units/udp-replyd.service" || exit 99
grep -q "^ExecStart=$top_builddir/src/udp-replyd " "$tmp/units/udp-replyd.service" ||
	fail "ExecStart= of udp-replyd.service is not $sbindir/udp-replyd"
# The reload waits for the daemon's verdict (see the unit): a broken file
# fails "systemctl reload", which a bare kill -HUP never does.
grep -q "^ExecReload=$top_builddir/src/udp-replyd-reload .*\\\$MAINPID\$" \
	"$tmp/units/udp-replyd.service" ||
	fail "ExecReload= of udp-replyd.service is not $sbindir/udp-replyd-reload ... \$MAINPID"

# verify exits 0 on many problems it only warns about (a bad
# ListenDatagram= is "ignored"): anything it prints is a failure.
out=$(cd "$tmp/units" && MANPATH="$tmp/man" systemd-analyze verify \
	udp-replyd.socket udp-replyd.service 2>&1)
st=$?
if [ $st -ne 0 ] || [ -n "$out" ]; then
	fail "systemd-analyze verify udp-replyd.socket udp-replyd.service (exit $st)"
	printf '%s\n' "$out"
else
	echo "PASS: systemd-analyze verify udp-replyd.socket udp-replyd.service"
fi

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

# "systemctl enable udp-replyd" enables the socket (Also=), which starts the
# service on the first datagram; disable takes it back. Offline, in a root
# of our own.
root=$tmp/root
mkdir -p "$root/lib/systemd/system" "$root/etc/systemd/system"
cp "$tmp/units/udp-replyd.socket" "$tmp/units/udp-replyd.service" "$root/lib/systemd/system/" ||
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
exit $rc

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/deb/run.sh (make deb-test): the amd64 .deb. Builds it (dist/deb.sh),
# runs lintian (no errors; exactly the two overrides of debian/), compares
# its contents and control data with the expected ones, then installs,
# removes and purges it with dpkg in a throwaway Debian bookworm root
# (tests/deb/rootfs.sh, an mmdebstrap tarball with initramfs-tools and the
# 6.1 kernel): installing enables the units and puts the hook into the
# initramfs (the update-initramfs trigger, processed by the real
# initramfs-tools), removing takes the hook out again, and after purging the
# root's files are the ones it had before, byte for byte under /etc and in
# the initramfs's file list. See tests/deb/README.md.
#
# Usage: tests/deb/run.sh   (root: chroot in a private mount namespace)
# Environment: LA_CACHE (tests/vm/lib.sh; the rootfs tarball goes to
#   $LA_CACHE/rootfs), LA_KEEP=1 (keep the work directory).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../vm/lib.sh
# shellcheck disable=SC1091
. "$top/tests/vm/lib.sh"
# shellcheck source=rootfs.sh
# shellcheck disable=SC1091
. "$top/tests/deb/rootfs.sh"

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "  ok   $*"; }
bad() { fail=$((fail + 1)); echo "  FAIL $*"; }
die() { echo "deb-test: $*" >&2; echo "$pass passed, $((fail + 1)) failed"; exit 1; }
# same WHAT WANT GOT: exact comparison, with a diff on failure
same() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		bad "$1"
		diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/       /'
	fi
}

[ "$(id -u)" = 0 ] || die "run as root (dpkg in a chroot)"
for c in dpkg-buildpackage lintian mmdebstrap unshare zstd; do
	command -v "$c" >/dev/null || die "$c not found (make deps)"
done
version=$(sed -n 's/^VERSION := //p' "$top/Makefile")
deb=$top/build/deb/lockaudit_${version}-1_amd64.deb
krel=${LA_PKG_6_1#linux-image-}

work=$(mktemp -d /tmp/lockaudit-deb.XXXXXX)
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	if [ -n "${LA_KEEP:-}" ]; then echo "deb-test: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# ---- 1. build ---------------------------------------------------------------
echo "== build"
bash "$top/dist/deb.sh" amd64 || die "dist/deb.sh amd64 failed"
[ -f "$deb" ] || die "no $deb"
ok "built $(basename "$deb")"

# ---- 2. lintian -------------------------------------------------------------
echo "== lintian"
lintian --fail-on error "$deb" >"$work/lintian.plain" 2>&1
rc=$?
same "lintian exits 0 (--fail-on error)" 0 "$rc"
# (with --show-overrides, lintian 2.116 exits 2 for the overridden errors)
lintian --show-overrides "$deb" >"$work/lintian" 2>&1
same "lintian: no errors" "" "$(grep '^E:' "$work/lintian")"
same "lintian: overrides are exactly debian/lockaudit.lintian-overrides'" \
	"O: lockaudit: embedded-library zlib [usr/sbin/lockaudit]
O: lockaudit: statically-linked-binary [usr/sbin/lockaudit]" \
	"$(grep '^O:' "$work/lintian" | sort)"
grep '^[WI]:' "$work/lintian" | sed 's/^/       lintian /'

# ---- 3. contents and control data -------------------------------------------
echo "== contents"
want=$( (grep -v '^#' "$top/tests/deb/contents.txt"
	for r in "$top"/rules/*.rules; do
		echo "-rw-r--r-- root/root ./usr/share/lockaudit/rules/$(basename "$r")"
	done) | sort -k3)
got=$(dpkg-deb -c "$deb" | awk '{ p = $6; for (i = 7; i <= NF; i++) p = p " " $i; print $1, $2, p }' | sort -k3)
same "files, modes and owners (tests/deb/contents.txt + rules/*.rules)" "$want" "$got"
same "control: Package Version Architecture Depends Recommends" \
	"Package: lockaudit
Version: ${version}-1
Architecture: amd64
Recommends: initramfs-tools" \
	"$(dpkg-deb -f "$deb" Package Version Architecture Depends Pre-Depends Recommends)"
dpkg-deb -e "$deb" "$work/ctl" || die "dpkg-deb -e failed"
same "triggers: the update-initramfs trigger (dh_installinitramfs)" \
	"activate-noawait update-initramfs" "$(grep -v '^#' "$work/ctl/triggers")"
same "conffiles" "/etc/default/lockaudit" "$(cat "$work/ctl/conffiles")"
same "maintainer scripts" "postinst postrm prerm" \
	"$(cd "$work/ctl" && for f in postinst postrm preinst prerm config; do [ -e "$f" ] && echo "$f"; done | xargs)"
mkdir -p "$work/x"
dpkg-deb -x "$deb" "$work/x"
same "the binary is static and runs: --version" "lockaudit $version" \
	"$("$work/x/usr/sbin/lockaudit" --version 2>&1)"
# the units and the initramfs scripts are dist/'s, with @SBINDIR@ replaced
while read -r pkgpath src; do
	if sed "s|@SBINDIR@|/usr/sbin|g" "$top/dist/$src" | cmp -s - "$work/x/$pkgpath"; then
		ok "$pkgpath is dist/$src"
	else
		bad "$pkgpath differs from dist/$src (@SBINDIR@ = /usr/sbin)"
	fi
done <<'LIST'
lib/systemd/system/lockaudit-boot.service systemd/lockaudit-boot.service
lib/systemd/system/lockaudit.service systemd/lockaudit.service
lib/systemd/system/lockaudit-metrics.service systemd/lockaudit-metrics.service
lib/systemd/system/lockaudit-metrics.timer systemd/lockaudit-metrics.timer
usr/share/initramfs-tools/hooks/lockaudit initramfs-tools/hooks/lockaudit
usr/share/initramfs-tools/scripts/init-top/lockaudit initramfs-tools/scripts/init-top/lockaudit
LIST

# ---- 4. install, remove, purge in a throwaway root --------------------------
echo "== install / remove / purge in a bookworm root (mmdebstrap)"
tarball=$(la_rootfs) || die "no root file system (tests/deb/rootfs.sh)"
root=$work/root
mkdir -p "$root"
tar --zstd -C "$root" -xf "$tarball" || die "cannot unpack $tarball"
cp "$deb" "$root/tmp/lockaudit.deb"

# inroot CMD...: CMD chrooted into $root, with /proc and /dev mounted in a
# mount namespace of its own (gone when CMD ends: nothing to unmount)
inroot() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m --propagation private /bin/sh -c '
		r=$1; shift
		mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" || exit 125
		exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			LC_ALL=C DEBIAN_FRONTEND=noninteractive "$@"' sh "$root" "$@"
}
# every path with its type, mode, owner and link target; the contents of
# /etc. Left out: the mount points and dpkg's own records and log, which
# record the installation by design.
snapshot() {
	(cd "$root" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./sys \
		-o -path ./run -o -path ./tmp -o -path ./var/lib/dpkg -o -path ./var/log/dpkg.log \) \
		-prune -o -printf '%y %m %u:%g %p %l\n' | sort &&
		find ./etc -type f -exec sha256sum {} + | sort -k2)
}
initrd_files() { inroot lsinitramfs "/boot/initrd.img-$krel" | sort; }
# shellcheck disable=SC2016 # a dpkg-query format
status() { inroot dpkg-query -W -f='${Status}' lockaudit 2>/dev/null; }
has_hook() {	# which of lockaudit's files the initramfs holds
	initrd_files | grep -E '^(usr/sbin/lockaudit|scripts/init-top/lockaudit)$' | xargs
}

before=$(snapshot)
initrd_before=$(initrd_files)
[ -n "$initrd_before" ] || die "no initramfs for $krel in the root (mmdebstrap's kernel postinst)"
same "before: no lockaudit in the initramfs" "" "$(has_hook)"

inroot dpkg -i /tmp/lockaudit.deb >"$work/install.log" 2>&1
rc=$?
same "dpkg -i: exit 0" 0 "$rc"
[ "$rc" = 0 ] || sed 's/^/       /' "$work/install.log"
same "dpkg -i: status" "install ok installed" "$(status)"
same "dpkg -i: the trigger ran update-initramfs" \
	"update-initramfs: Generating /boot/initrd.img-$krel" \
	"$(grep '^update-initramfs:' "$work/install.log")"
same "dpkg -i: the initramfs holds the binary and the init-top script" \
	"scripts/init-top/lockaudit usr/sbin/lockaudit" "$(has_hook)"
same "dpkg -i: the initramfs's lockaudit is the package's" "" \
	"$(inroot sh -c "unmkinitramfs /boot/initrd.img-$krel /tmp/unpacked >/dev/null &&
		cmp /tmp/unpacked/usr/sbin/lockaudit /usr/sbin/lockaudit && rm -rf /tmp/unpacked" 2>&1)"
same "dpkg -i: units enabled (WantedBy= symlinks)" \
	"/etc/systemd/system/multi-user.target.wants/lockaudit.service -> /lib/systemd/system/lockaudit.service
/etc/systemd/system/sysinit.target.wants/lockaudit-boot.service -> /lib/systemd/system/lockaudit-boot.service
/etc/systemd/system/timers.target.wants/lockaudit-metrics.timer -> /lib/systemd/system/lockaudit-metrics.timer" \
	"$(cd "$root" && find ./etc/systemd/system -name 'lockaudit*' -printf '/%P -> %l\n' |
		sed 's|^/|/etc/systemd/system/|' | sort)"
same "dpkg -i: every packaged path is installed" "" \
	"$(inroot dpkg -L lockaudit | while read -r p; do [ -e "$root$p" ] || echo "missing $p"; done)"

# the report lockaudit.service would have written: dpkg -r keeps its
# directory, purge must delete it; the metrics lockaudit-metrics.service
# would have written for node_exporter: dpkg -r must delete them (the
# collector would serve them, stale, for ever)
echo '{}' >"$root/var/lib/lockaudit/report.json"
prom=/var/lib/prometheus/node-exporter/lockaudit.prom
same "node_exporter's textfile directory is in the root (prometheus-node-exporter's)" \
	"prometheus-node-exporter: ${prom%/*}" "$(inroot dpkg -S "${prom%/*}")"
echo 'lockaudit_info{version="x"} 1' >"$root$prom"

inroot dpkg -r lockaudit >"$work/remove.log" 2>&1
rc=$?
same "dpkg -r: exit 0" 0 "$rc"
[ "$rc" = 0 ] || sed 's/^/       /' "$work/remove.log"
same "dpkg -r: status" "deinstall ok config-files" "$(status)"
same "dpkg -r: the trigger ran update-initramfs" \
	"update-initramfs: Generating /boot/initrd.img-$krel" \
	"$(grep '^update-initramfs:' "$work/remove.log")"
same "dpkg -r: deleted the textfile for node_exporter ($prom)" "" "$(ls "$root$prom" 2>/dev/null)"
same "dpkg -r: the initramfs is back to its file list before" "$initrd_before" "$(initrd_files)"
# what a removed package keeps until purge: its conffile and the units'
# enablement (deb-systemd-helper), nothing it would run
same "dpkg -r: left until purge: the conffile, the units' enablement, the report" \
	"./etc/default/lockaudit
./etc/systemd/system/multi-user.target.wants/lockaudit.service
./etc/systemd/system/sysinit.target.wants/lockaudit-boot.service
./etc/systemd/system/timers.target.wants/lockaudit-metrics.timer
./var/lib/lockaudit
./var/lib/lockaudit/report.json
./var/lib/systemd/deb-systemd-helper-enabled/lockaudit-boot.service.dsh-also
./var/lib/systemd/deb-systemd-helper-enabled/lockaudit-metrics.timer.dsh-also
./var/lib/systemd/deb-systemd-helper-enabled/lockaudit.service.dsh-also
./var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/lockaudit.service
./var/lib/systemd/deb-systemd-helper-enabled/sysinit.target.wants/lockaudit-boot.service
./var/lib/systemd/deb-systemd-helper-enabled/timers.target.wants/lockaudit-metrics.timer" \
	"$(cd "$root" && find . -xdev \( -path ./proc -o -path ./var/lib/dpkg -o -path ./tmp \) -prune \
		-o -path '*lockaudit*' -print | sort)"

inroot dpkg -P lockaudit >"$work/purge.log" 2>&1
rc=$?
same "dpkg -P: exit 0" 0 "$rc"
[ "$rc" = 0 ] || sed 's/^/       /' "$work/purge.log"
same "dpkg -P: status (unknown to dpkg)" "" "$(status)"
same "dpkg -P: the root is as before (paths, modes, owners, links, /etc contents)" \
	"$before" "$(snapshot)"
same "dpkg -P: the initramfs's file list is as before" "$initrd_before" "$(initrd_files)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

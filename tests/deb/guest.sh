#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/deb/guest.sh (make deb-guest-test): the .deb on a real Debian system.
# Installs the amd64 .deb with dpkg into the cached bookworm root of
# tests/deb/rootfs.sh (its update-initramfs trigger builds the initramfs with
# the real initramfs-tools, hook included), writes that root to an ext4 image
# and boots it in qemu (q35, intel-iommu, e1000e NIC, virtio disk) with
# Debian's 6.1 kernel from the root's /boot and systemd as PID 1, twice:
# audited, and with lockaudit=off on the kernel command line. A unit of
# the test's own (la-check.service) prints what tests/deb/guest_check.py
# asserts between @@BEGIN/@@END markers on the serial console and powers off.
# See tests/deb/README.md.
#
# Usage: tests/deb/guest.sh   (root: chroot, mke2fs -d)
# Environment: LA_CACHE (tests/vm/lib.sh), LA_TIMEOUT (qemu, per boot, default 600 s),
#   LA_KEEP=1 (keep the work directory), LA_QEMU_BIN.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../vm/lib.sh
# shellcheck disable=SC1091
. "$top/tests/vm/lib.sh"
# shellcheck source=rootfs.sh
# shellcheck disable=SC1091
. "$top/tests/deb/rootfs.sh"

timeout=${LA_TIMEOUT:-600}
krel=${LA_PKG_6_1#linux-image-}
version=$(sed -n 's/^VERSION := //p' "$top/Makefile")
deb=$top/build/deb/lockaudit_${version}-1_amd64.deb
out=$top/build/deb-guest
say() { echo "deb-guest-test: $*" >&2; }
die() { say "$*"; echo "0 passed, 1 failed"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (chroot, mke2fs -d)"
for c in mke2fs unshare zstd qemu-system-x86_64 python3; do
	command -v "$c" >/dev/null || die "$c not found (make deps)"
done

work=$(mktemp -d /tmp/lockaudit-deb-guest.XXXXXX)
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	if [ -n "${LA_KEEP:-}" ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
mkdir -p "$out"

# ---- 1. the package and the root with it installed ---------------------------
bash "$top/dist/deb.sh" amd64 >&2 || die "dist/deb.sh amd64 failed"
tarball=$(la_rootfs) || die "no root file system (tests/deb/rootfs.sh)"
root=$work/root
mkdir -p "$root"
tar --zstd -C "$root" -xf "$tarball" || die "cannot unpack $tarball"
cp "$deb" "$root/tmp/lockaudit.deb"
# shellcheck disable=SC2016 # expanded by the inner shell
unshare -m --propagation private /bin/sh -c '
	mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" || exit 125
	exec chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C \
		DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/lockaudit.deb' sh "$root" \
	>"$out/dpkg-install.log" 2>&1 || { cat "$out/dpkg-install.log" >&2; die "dpkg -i failed"; }
# kept for la-check's dpkg -i on the running system
mv "$root/tmp/lockaudit.deb" "$root/root/lockaudit.deb"
grep -q "^update-initramfs: Generating /boot/initrd.img-$krel" "$out/dpkg-install.log" ||
	die "dpkg -i did not rebuild the initramfs (log: $out/dpkg-install.log)"

# ---- 2. the guest's configuration: root on /dev/vda, la_test, the check unit ---
# la_test (tests/kmod), a deliberately buggy module: systemd-modules-load
# loads it at boot from /etc/modules-load.d, with 3 calls without the device
# lock and 2 with it
kmod=$LA_CACHE/x86_64/6.1/kmod
bash "$top/tests/kmod/build" 6.1 "$kmod" >&2 || die "tests/kmod/build 6.1 failed"
install -D -m 0644 "$kmod/la_test.ko" "$root/lib/modules/$krel/updates/la_test.ko"
chroot "$root" depmod "$krel" || die "depmod in the root failed"
echo la_test >"$root/etc/modules-load.d/la_test.conf"
echo "options la_test unlocked=3 locked=2" >"$root/etc/modprobe.d/la_test.conf"
echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" >"$root/etc/fstab"
echo la-guest >"$root/etc/hostname"
# what Debian's installer writes and mmdebstrap does not: without it
# "localhost" does not resolve (the Prometheus server's packaged scrape
# targets are localhost:9090 and localhost:9100)
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tla-guest\n' \
	>"$root/etc/hosts"
# the console is the test's: no login prompt on it
ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$root/etc/systemd/system/getty@tty1.service"
install -m 0755 "$top/tests/deb/guest-check.sh" "$root/usr/local/sbin/la-check"
cat >"$root/etc/systemd/system/la-check.service" <<'UNIT'
[Unit]
Description=lockaudit package test: print the checks, power off
After=lockaudit.service lockaudit-boot.service systemd-journald.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/la-check
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
# la-check powers off itself (systemctl --force --force poweroff); if it
# fails before that:
FailureAction=poweroff-force

[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/la-check.service \
	"$root/etc/systemd/system/multi-user.target.wants/la-check.service"

# the kernel and the initramfs dpkg's trigger made, from the root's /boot
cp "$root/boot/vmlinuz-$krel" "$root/boot/initrd.img-$krel" "$work/"
cp "$root/boot/initrd.img-$krel" "$out/initrd.img"
size=$(( $(du -sm "$root" | cut -f1) + 256 ))
img=$work/root.img
say "root image: ${size} MB (mke2fs -d)"
mke2fs -q -t ext4 -L la-root -d "$root" "$img" "${size}M" || die "mke2fs failed"
rm -rf "$root"

# ---- 3. boot twice: audited, then with lockaudit=off ---------------------------
# each boot on its own copy of the image (the first removes the package)
qemu=${LA_QEMU_BIN:-qemu-system-x86_64}
# boot NAME EXTRA-APPEND: console log in build/deb-guest/console-NAME.log. A
# kernel that dies before the initramfs runs (a TCG flake, tests/vm/README.md)
# is booted once more, as in tests/boot/run.sh.
boot() {
	local log=$out/console-$1.log disk=$work/disk.img rc tb try
	local append="root=/dev/vda rw console=ttyS0 intel_iommu=on iommu=force no_timer_check panic=-1 oops=panic quiet systemd.show_status=0${2:+ $2}"
	for try in 1 2; do
		cp --sparse=always "$img" "$disk"
		say "booting $krel with systemd, $1 (console: ${log#"$top"/})"
		tb=$(date +%s) rc=0
		timeout "$timeout" "$qemu" -machine q35,kernel-irqchip=split -accel tcg,thread=single \
			-cpu max -smp 2 -m 1024 -nographic -no-reboot \
			-device intel-iommu,intremap=on,caching-mode=on \
			-nic none -device e1000e,netdev=n0,romfile= -netdev user,id=n0 \
			-drive file="$disk",format=raw,if=none,id=d0 -device virtio-blk-pci,drive=d0 \
			-kernel "$work/vmlinuz-$krel" -initrd "$work/initrd.img-$krel" -append "$append" \
			</dev/null 2>&1 | stdbuf -oL tr -d '\r' >"$log" || rc=$?
		[ "$rc" = 0 ] || say "qemu exited $rc (124: timeout after ${timeout}s)"
		say "$1: boot + checks + poweroff $(( $(date +%s) - tb )) s"
		rm -f "$disk"
		if [ "$try" = 1 ] && ! grep -q 'Run /init as init process' "$log" &&
			grep -qE 'Kernel panic|Oops' "$log"; then
			say "$1: the kernel died before the initramfs ran (TCG flake?): $(grep -m1 -E 'Kernel panic|Oops' "$log"); booting once more"
			cp "$log" "$log.try1"
			continue
		fi
		break
	done
}
boot audited ""
boot off lockaudit=off

# ---- 4. check ---------------------------------------------------------------------
python3 "$top/tests/deb/guest_check.py" "$out/console-audited.log" "$out/console-off.log" \
	"$out/initrd.img"

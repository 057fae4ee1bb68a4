#!/bin/bash
# tests/boot/run.sh: the real Debian boot path.  Builds an initramfs with
# Debian's own mkinitramfs (initramfs-tools) for Debian's 6.1 amd64 kernel,
# with lockaudit's hook and init-top script installed by dist/install.sh;
# boots it in qemu (q35, intel-iommu, e1000e, virtio disk) on a small ext4
# root whose /sbin/init runs "lockaudit collect --json /report.json --detach",
# prints it and powers off.  The initramfs's udev loads e1000e and the disk
# driver, so their probes must be in the report: lockaudit ran before udev.
# Assertions: tests/boot/check.py.  See tests/boot/README.md.
#
# Usage: tests/boot/run.sh            (as root: it needs a private mount
#                                      namespace, see kernel_modules below)
# Environment: LA_LOCKAUDIT (binary, default build/lockaudit), LA_CACHE,
#   LA_DEB_DIRS, LA_PKG_6_1 (tests/vm/lib.sh), LA_BOOT_CACHE (default
#   .cache/boot), LA_TIMEOUT (qemu, default 300 s), LA_KEEP=1 (keep the
#   work directory), LA_QEMU_BIN.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../vm/lib.sh
# shellcheck disable=SC1091
. "$top/tests/vm/lib.sh"

bin=${LA_LOCKAUDIT:-$top/build/lockaudit}
boot_cache=${LA_BOOT_CACHE:-$top/.cache/boot}
timeout=${LA_TIMEOUT:-300}
pkg=$LA_PKG_6_1
krel=${pkg#linux-image-}
t0=$(date +%s.%N)

say() { echo "lockaudit-boot-test: $*" >&2; }
die() { say "$*"; echo "0 passed, 1 failed"; exit 1; }
elapsed() { echo "$(date +%s.%N) $t0" | awk '{printf "%.1f", $1 - $2}'; }

[ "$(id -u)" = 0 ] || die "run as root (mkinitramfs needs the kernel in /lib/modules: a private mount namespace)"
[ -x "$bin" ] || die "no lockaudit binary at $bin (make)"
for c in mkinitramfs unmkinitramfs unshare mke2fs depmod dpkg-deb qemu-system-x86_64 python3; do
	command -v "$c" >/dev/null || die "$c not found (packages: see tests/boot/README.md)"
done
[ -x /bin/busybox ] || die "/bin/busybox missing (busybox-static)"

work=$(mktemp -d /tmp/lockaudit-boot.XXXXXX)
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	if [ -n "${LA_KEEP:-}" ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# ---- 1. the kernel: unpacked once, with a kmod depmod ----------------------
kdir=$boot_cache/$krel
if [ ! -e "$kdir/.done" ]; then
	deb=$(la_fetch_deb "$pkg")
	say "unpacking $(basename "$deb")"
	rm -rf "$kdir"
	mkdir -p "$kdir"
	dpkg-deb -x "$deb" "$kdir"
	depmod -b "$kdir" -F "$kdir/boot/System.map-$krel" "$krel"
	touch "$kdir/.done"
fi
{ [ -f "$kdir/boot/vmlinuz-$krel" ] && [ -d "$kdir/lib/modules/$krel" ]; } ||
	die "bad kernel cache $kdir (remove it)"

# ---- 2. install lockaudit into a staging root ------------------------------
dest=$work/dest
bash "$top/dist/install.sh" "$dest" /usr "$bin" >/dev/null

# ---- 3. initramfs-tools configuration of our own (mkinitramfs -d) ----------
# Only this directory and /usr/share/initramfs-tools are read: the host's
# /etc/initramfs-tools is not used.  Hooks are found in CONFDIR/hooks (and
# /usr/share/initramfs-tools/hooks, where the installed copy would go).
conf=$work/conf
mkdir -p "$conf/hooks" "$conf/scripts/init-top" "$conf/conf.d"
cp -p "$dest/usr/share/initramfs-tools/hooks/lockaudit" "$conf/hooks/"
cp -p "$dest/usr/share/initramfs-tools/scripts/init-top/lockaudit" "$conf/scripts/init-top/"
cat >"$conf/initramfs.conf" <<'EOF'
MODULES=most
BUSYBOX=auto
KEYMAP=n
COMPRESS=zstd
DEVICE=
NFSROOT=auto
RUNSIZE=10%
FSTYPE=ext4
EOF
echo "RESUME=none" >"$conf/conf.d/resume"
: >"$conf/modules"

# ---- 4. mkinitramfs in a private mount namespace ---------------------------
# mkinitramfs reads the modules from /lib/modules/KREL and the config from
# /boot/config-KREL.  Both are bind-mounted from the unpacked package in a
# mount namespace of mkinitramfs's own (over a tmpfs on /lib/modules, so the
# host's directory, if any, is neither needed nor touched); the host sees
# nothing and nothing is left behind.
initrd=$work/initrd.img
say "mkinitramfs (Debian initramfs-tools $(dpkg-query -W -f='${Version}' initramfs-tools 2>/dev/null)) for $krel"
ts=$(date +%s.%N)
# shellcheck disable=SC2016 # expanded by the inner shell
LOCKAUDIT_BIN=$dest/usr/sbin/lockaudit KDIR=$kdir KREL=$krel CONF=$conf OUT=$initrd \
	unshare --mount --propagation private sh -ec '
	mount -t tmpfs -o mode=0755 la-modules /lib/modules
	mkdir "/lib/modules/$KREL"
	mount --bind "$KDIR/lib/modules/$KREL" "/lib/modules/$KREL"
	mount --bind "$KDIR/boot" /boot
	mkinitramfs -d "$CONF" -o "$OUT" "$KREL"
' >"$work/mkinitramfs.log" 2>&1 || {
	cat "$work/mkinitramfs.log" >&2
	die "mkinitramfs failed"
}
say "initramfs: $(du -h "$initrd" | cut -f1) in $(echo "$(date +%s.%N) $ts" | awk '{printf "%.1f", $1 - $2}') s"
unmkinitramfs "$initrd" "$work/initrd" >/dev/null 2>&1 || die "unmkinitramfs failed"
find "$work/initrd" -printf '%P\n' | sort >"$work/initrd.list"

# ---- 5. root file system: busybox, lockaudit, /sbin/init -------------------
root=$work/root
mkdir -p "$root"/{bin,sbin,usr/sbin,dev,proc,sys,run,tmp,etc}
cp /bin/busybox "$root/bin/busybox"
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
done
cp "$dest/usr/sbin/lockaudit" "$root/usr/sbin/lockaudit"
cat >"$root/sbin/init" <<'EOF'
#!/bin/busybox sh
# The real root's init: no modules here, so every driver probe came from the
# initramfs.  Prints what the test checks between @@BEGIN/@@END markers.
export PATH=/bin:/sbin:/usr/sbin
sec() { echo "@@BEGIN $1"; shift; "$@" 2>&1; echo; echo "@@END"; }
echo "@@ROOT $(cat /proc/uptime)"
sec mounts cat /proc/mounts
sec bootlog cat /run/initramfs/lockaudit.log
sec dmesg dmesg
sec pinned ls /sys/fs/bpf/lockaudit
sec e1000e sh -c 'ls /sys/bus/pci/drivers/e1000e | grep :'
sec virtio sh -c 'ls /sys/bus/pci/drivers/virtio-pci | grep :'
sec modules cat /proc/modules
# what lockaudit-boot.service relies on: a second boot says "already attached"
lockaudit boot >/boot-again.txt 2>&1
echo "@@BOOT_AGAIN_RC $?"
sec boot-again cat /boot-again.txt
lockaudit collect --json /report.json --detach --pretty >/collect.txt 2>&1
echo "@@COLLECT_RC $?"
sec collect cat /collect.txt
sec json cat /report.json
sec after-detach sh -c 'ls -A /sys/fs/bpf/lockaudit 2>&1; bpfdir=$(ls -A /sys/fs/bpf); echo "bpffs: ${bpfdir:-empty}"'
sync
echo "@@DONE"
poweroff -f
EOF
chmod 755 "$root/sbin/init"
rootimg=$work/root.img
mke2fs -q -t ext4 -L la-root -d "$root" "$rootimg" 64M >/dev/null || die "mke2fs failed"

# ---- 6. boot, twice: audited, and with lockaudit=off on the command line ----
qemu=${LA_QEMU_BIN:-qemu-system-x86_64}
mkdir -p "$top/build/boot"
# boot NAME EXTRA-APPEND: console log in build/boot/console-NAME.log.
# no_timer_check: TCG sometimes fails the kernel's IO-APIC timer check under
# interrupt remapping ("timer doesn't work through Interrupt-remapped
# IO-APIC" panic at 0.03 s); a boot that still panics before the initramfs
# ran (a TCG flake, see tests/vm/README.md) is retried once.
boot() {
	local name=$1 extra=$2 img=$work/root-$1.img log=$top/build/boot/console-$1.log
	local append="root=/dev/vda rw console=ttyS0 intel_iommu=on iommu=force no_timer_check panic=-1 oops=panic quiet${extra:+ $extra}"
	local try tb rc
	for try in 1 2; do
		cp "$rootimg" "$img"
		say "booting $krel, $name (console: ${log#"$top"/})"
		tb=$(date +%s.%N) rc=0
		timeout "$timeout" "$qemu" -machine q35,kernel-irqchip=split -accel tcg,thread=single \
			-cpu max -smp 2 -m 1024 -nographic -no-reboot \
			-device intel-iommu,intremap=on,caching-mode=on \
			-nic none -device e1000e,netdev=n0,romfile= -netdev user,id=n0 \
			-drive file="$img",format=raw,if=none,id=d0 -device virtio-blk-pci,drive=d0 \
			-kernel "$kdir/boot/vmlinuz-$krel" -initrd "$initrd" -append "$append" \
			</dev/null 2>&1 | tr -d '\r' >"$log" || rc=$?
		[ "$rc" = 0 ] || say "qemu exited $rc (124: timeout after ${timeout}s)"
		say "$name: boot + collect $(echo "$(date +%s.%N) $tb" | awk '{printf "%.1f", $1 - $2}') s"
		rm -f "$img"
		if [ "$try" = 1 ] && ! grep -q '^@@ROOT' "$log" &&
			! grep -q 'Run /init as init process' "$log" &&
			grep -qE 'Kernel panic|Oops' "$log"; then
			say "$name: the kernel died before the initramfs ran (TCG flake?): $(grep -m1 -E 'Kernel panic|Oops' "$log"); retrying once"
			cp "$log" "$log.try1"
			continue
		fi
		break
	done
}
boot audited ""
boot off "lockaudit=off"

# ---- 7. check ---------------------------------------------------------------
rc=0
python3 "$top/tests/boot/check.py" "$top/build/boot/console-audited.log" \
	"$top/build/boot/console-off.log" "$work/initrd" "$work/initrd.list" || rc=$?
say "total $(elapsed) s"
exit $rc

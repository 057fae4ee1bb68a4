# shellcheck shell=bash
# Shared by tests/vm/run and tests/kmod/build: the guest-kernel table, and
# fetching/unpacking of Debian kernel packages into the cache.
#
# Cache layout ($LA_CACHE, default <repo>/.cache/vm):
#   debs/                         downloaded .deb files (shared by all kernels)
#   <arch>/<kver>/image/          unpacked linux-image package (+ modules.dep)
#   <arch>/<kver>/headers/        unpacked linux-headers-* + linux-kbuild-* (patched)
#   <arch>/<kver>/kmod/           tests/kmod built for that kernel (la_test.ko)
#   <arch>/<kver>/mods/           decompressed guest modules (.ko), per module
#
# To add a kernel (e.g. 7.x, or arm64): add its package names below and one
# case arm in la_kernel_select.

LA_TOP=${LA_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
LA_CACHE=${LA_CACHE:-$LA_TOP/.cache/vm}
# Extra directories (colon separated) searched for already downloaded .debs
# before running apt-get download, e.g. LA_DEB_DIRS=/work/cache.
LA_DEB_DIRS=${LA_DEB_DIRS:-}

# ---- Debian package names (override via environment) ----------------------
LA_PKG_6_1=${LA_PKG_6_1:-linux-image-6.1.0-56-amd64}
LA_HDR_6_1=${LA_HDR_6_1:-"linux-headers-6.1.0-56-amd64 linux-headers-6.1.0-56-common linux-kbuild-6.1"}
LA_PKG_6_12=${LA_PKG_6_12:-linux-image-6.12.117+deb12-amd64-unsigned}
LA_HDR_6_12=${LA_HDR_6_12:-"linux-headers-6.12.117+deb12-amd64 linux-headers-6.12.117+deb12-common linux-kbuild-6.12.117+deb12"}

la_die() { echo "lockaudit-vm: $*" >&2; exit "${LA_DIE_RC:-126}"; }
la_log() { echo "lockaudit-vm: $*" >&2; }

# la_kernel_select ARCH KVER: sets the per-kernel description.
#   LA_IMG_PKG     linux-image package
#   LA_HDR_PKGS    headers packages for building modules (unpacked into one dir)
#   LA_QEMU        qemu binary
#   LA_QEMU_ARGS   array: machine/iommu/nic arguments (not kernel/initrd/accel)
#   LA_APPEND      kernel command line
#   LA_MODS        guest modules to ship (by module name; deps added from modules.dep)
#   LA_EARLY_MODS  modules /init loads before anything else (in that order)
la_kernel_select() {
	LA_ARCH=$1 LA_KVER=$2
	local common_append="console=ttyS0 panic=-1 oops=panic quiet"
	case "$LA_ARCH/$LA_KVER" in
	x86_64/6.1)
		LA_IMG_PKG=$LA_PKG_6_1
		LA_HDR_PKGS=$LA_HDR_6_1
		LA_QEMU=qemu-system-x86_64
		LA_QEMU_ARGS=(-machine q35,kernel-irqchip=split -cpu max
			-device intel-iommu,intremap=on,caching-mode=on
			-nic none -device e1000e,netdev=n0,romfile= -netdev user,id=n0)
		LA_APPEND="$common_append intel_iommu=on iommu=force"
		LA_MODS="e1000e"
		LA_EARLY_MODS=""
		;;
	x86_64/6.12)
		LA_IMG_PKG=$LA_PKG_6_12
		LA_HDR_PKGS=$LA_HDR_6_12
		LA_QEMU=qemu-system-x86_64
		LA_QEMU_ARGS=(-machine q35 -cpu max -device virtio-iommu-pci
			-nic none -device e1000e,netdev=n0,romfile= -netdev user,id=n0)
		LA_APPEND="$common_append"
		LA_MODS="virtio_iommu e1000e"
		LA_EARLY_MODS="virtio_iommu"
		;;
	arm64/*)
		LA_DIE_RC=2 la_die "--arch arm64 is not yet supported"
		;;
	*)
		LA_DIE_RC=2 la_die "unknown arch/kernel '$LA_ARCH/$LA_KVER' (known: x86_64/6.1 x86_64/6.12)"
		;;
	esac
	LA_KDIR_CACHE=$LA_CACHE/$LA_ARCH/$LA_KVER
}

# la_fetch_deb PKG -> prints path of the .deb (downloads into $LA_CACHE/debs)
la_fetch_deb() {
	local pkg=$1 d f
	# Debian file names encode ':' as %3a; package names never contain '_'.
	for d in "$LA_CACHE/debs" ${LA_DEB_DIRS//:/ }; do
		for f in "$d/${pkg}_"*.deb; do
			[ -f "$f" ] && { echo "$f"; return 0; }
		done
	done
	mkdir -p "$LA_CACHE/debs"
	la_log "apt-get download $pkg"
	(cd "$LA_CACHE/debs" && apt-get download "$pkg" >&2) || la_die "apt-get download $pkg failed"
	for f in "$LA_CACHE/debs/${pkg}_"*.deb; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	la_die "downloaded $pkg but found no .deb"
}

# la_unpack DIR PKG... : unpack packages into DIR once (marker DIR/.unpacked)
la_unpack() {
	local dir=$1; shift
	[ -f "$dir/.unpacked" ] && return 0
	local tmp="$dir.tmp.$$" pkg deb
	rm -rf "$tmp"; mkdir -p "$tmp"
	for pkg in "$@"; do
		deb=$(la_fetch_deb "$pkg") || exit
		la_log "unpacking $(basename "$deb")"
		dpkg-deb -x "$deb" "$tmp" || la_die "dpkg-deb -x $deb failed"
	done
	echo "$*" >"$tmp/.unpacked"
	rm -rf "$dir"; mv "$tmp" "$dir"
}

# la_prepare_image: unpack the image; sets LA_IMG LA_KREL LA_VMLINUZ LA_MODDIR
la_prepare_image() {
	LA_IMG=$LA_KDIR_CACHE/image
	la_unpack "$LA_IMG" "$LA_IMG_PKG"
	local m
	for m in "$LA_IMG"/lib/modules/*/; do LA_KREL=$(basename "$m"); done
	[ -n "${LA_KREL:-}" ] || la_die "no lib/modules in $LA_IMG_PKG"
	LA_MODDIR=$LA_IMG/lib/modules/$LA_KREL
	LA_VMLINUZ=$LA_IMG/boot/vmlinuz-$LA_KREL
	[ -f "$LA_VMLINUZ" ] || la_die "no $LA_VMLINUZ"
	if [ ! -s "$LA_MODDIR/modules.dep" ]; then
		la_log "generating modules.dep for $LA_KREL (busybox depmod, ~10 s once)"
		busybox depmod -b "$LA_IMG" "$LA_KREL" || la_die "depmod failed"
	fi
}

# la_prepare_headers: sets LA_KBUILD_DIR to a kernel build dir for modules.
# Uses the installed /lib/modules/KREL/build if present, else unpacks the
# headers packages and points the arch Makefile at the unpacked common dir.
la_prepare_headers() {
	[ -n "${LA_KREL:-}" ] || la_prepare_image
	if [ -f "/lib/modules/$LA_KREL/build/Makefile" ] && [ -z "${LA_FORCE_UNPACKED_HEADERS:-}" ]; then
		LA_KBUILD_DIR=/lib/modules/$LA_KREL/build
		return 0
	fi
	local h=$LA_KDIR_CACHE/headers
	# shellcheck disable=SC2086
	la_unpack "$h" $LA_HDR_PKGS
	LA_KBUILD_DIR=$h/usr/src/linux-headers-$LA_KREL
	[ -f "$LA_KBUILD_DIR/Makefile" ] || la_die "no $LA_KBUILD_DIR/Makefile"
	# 'include /usr/src/linux-headers-X-common/Makefile' -> unpacked copy
	sed -i -E "s#^include /usr/src/#include $h/usr/src/#" "$LA_KBUILD_DIR/Makefile"
}

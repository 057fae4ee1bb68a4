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
#   <arch>/busybox/               unpacked busybox-static for a foreign arch
#   apt-trixie/                   private apt list (trixie-backports, trixie)
#   hostlibs/trixie/              trixie's libc6 etc. for the 7.x kbuild tools
#
# To add a kernel: add its package names below and one case arm in
# la_kernel_select.  Kernel keys: x86_64/{6.1,6.12,6.1-rt,6.12-rt,7.3,7.3-rt},
# arm64/{6.1,6.12,7.3}.  Foreign-arch packages are named PKG:ARCH (apt
# syntax); PKG[:ARCH]/SUITE comes from the private apt list (la_apt_update).

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
# PREEMPT_RT (x86_64).  The rt headers are unpacked, never installed: the
# 6.12 one depends on the image package.
LA_PKG_6_1_RT=${LA_PKG_6_1_RT:-linux-image-6.1.0-56-rt-amd64}
LA_HDR_6_1_RT=${LA_HDR_6_1_RT:-"linux-headers-6.1.0-56-rt-amd64 linux-headers-6.1.0-56-common-rt linux-kbuild-6.1"}
LA_PKG_6_12_RT=${LA_PKG_6_12_RT:-linux-image-6.12.117+deb12-rt-amd64-unsigned}
LA_HDR_6_12_RT=${LA_HDR_6_12_RT:-"linux-headers-6.12.117+deb12-rt-amd64 linux-headers-6.12.117+deb12-common-rt linux-kbuild-6.12.117+deb12"}
# arm64 (cross: the kbuild tools are the amd64 linux-kbuild package).
LA_PKG_ARM64_6_1=${LA_PKG_ARM64_6_1:-linux-image-6.1.0-56-arm64:arm64}
LA_HDR_ARM64_6_1=${LA_HDR_ARM64_6_1:-"linux-headers-6.1.0-56-arm64:arm64 linux-headers-6.1.0-56-common linux-kbuild-6.1"}
LA_PKG_ARM64_6_12=${LA_PKG_ARM64_6_12:-linux-image-6.12.117+deb12-arm64-unsigned:arm64}
LA_HDR_ARM64_6_12=${LA_HDR_ARM64_6_12:-"linux-headers-6.12.117+deb12-arm64:arm64 linux-headers-6.12.117+deb12-common linux-kbuild-6.12.117+deb12"}
# 7.x (Debian 13 backports).  Not in bookworm's lists: a package named
# PKG/SUITE (optionally PKG:ARCH/SUITE) is fetched through a private apt list
# of trixie-backports + trixie (la_apt_update; the system's sources are never
# touched).  The 7.x packaging is split: binary-unsigned (the kernel, at
# usr/lib/modules/KREL/vmlinuz.unsigned), modules (.ko.xz), base (config).
# LA_K73_REL pins the ABI (package names); verified: 7.3.4+deb13 =
# 7.3.4-1~bpo13+1, the only 7.3 version in trixie-backports on 2026-11-25.
LA_K73_REL=${LA_K73_REL:-7.3.4+deb13}
LA_K73_SUITE=${LA_K73_SUITE:-trixie-backports}
la_k73_pkgs() {	# FLAVOUR [:ARCH] -> image packages
	local r=$LA_K73_REL s=$LA_K73_SUITE
	echo "linux-binary-unsigned-$r-$1${2:-}/$s linux-modules-$r-$1${2:-}/$s linux-base-$r-$1${2:-}/$s"
}
la_k73_hdrs() {	# FLAVOUR [:ARCH] -> headers packages (kbuild is always the host's, amd64)
	local r=$LA_K73_REL s=$LA_K73_SUITE
	echo "linux-headers-$r-$1${2:-}/$s linux-headers-$r-common/$s linux-kbuild-$r/$s"
}
LA_PKG_7_3=${LA_PKG_7_3:-$(la_k73_pkgs amd64)}
LA_HDR_7_3=${LA_HDR_7_3:-$(la_k73_hdrs amd64)}
LA_PKG_7_3_RT=${LA_PKG_7_3_RT:-$(la_k73_pkgs rt-amd64)}
LA_HDR_7_3_RT=${LA_HDR_7_3_RT:-$(la_k73_hdrs rt-amd64)}
LA_PKG_ARM64_7_3=${LA_PKG_ARM64_7_3:-$(la_k73_pkgs arm64 :arm64)}
LA_HDR_ARM64_7_3=${LA_HDR_ARM64_7_3:-$(la_k73_hdrs arm64 :arm64)}
# The 7.x kbuild tools (modpost, objtool, resolve_btfids) need GLIBC_2.38
# (bookworm has 2.36): they run through trixie's ld.so with these libraries,
# unpacked into $LA_CACHE/hostlibs/trixie (la_prepare_hostlibs).
LA_HOSTLIBS_TRIXIE=${LA_HOSTLIBS_TRIXIE:-"libc6/trixie libelf1t64/trixie zlib1g/trixie libzstd1/trixie"}
# Private apt list: mirror (default: the first .../debian URI of the system's
# sources), suites, and where its lists live.
LA_APT_MIRROR=${LA_APT_MIRROR:-}
LA_APT_SUITES=${LA_APT_SUITES:-"trixie-backports trixie"}
LA_APT_KEYRING=${LA_APT_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
LA_APT_DIR=${LA_APT_DIR:-$LA_CACHE/apt-trixie}
LA_BUSYBOX_ARM64=${LA_BUSYBOX_ARM64:-busybox-static:arm64}
LA_CROSS_ARM64=${LA_CROSS_ARM64:-aarch64-linux-gnu-}

la_die() { echo "lockaudit-vm: $*" >&2; exit "${LA_DIE_RC:-126}"; }
la_log() { echo "lockaudit-vm: $*" >&2; }

# la_kernel_select ARCH KVER: sets the per-kernel description.
#   LA_IMG_PKG     linux-image package
#   LA_HDR_PKGS    headers packages for building modules (unpacked into one dir)
#   LA_KMAKE       extra make arguments for building modules (cross compiler)
#   LA_QEMU        qemu binary
#   LA_QEMU_ARGS   array: machine/iommu/nic arguments (not kernel/initrd/accel)
#   LA_APPEND      kernel command line
#   LA_MODS        guest modules to ship (by module name; deps added from modules.dep)
#   LA_EARLY_MODS  modules /init loads before anything else (in that order)
#   LA_BUSYBOX_PKG busybox-static package for the guest ("" = host /bin/busybox)
la_kernel_select() {
	LA_ARCH=$1 LA_KVER=$2
	local x86_append="console=ttyS0 panic=-1 oops=panic quiet"
	local arm64_append="console=ttyAMA0 panic=-1 oops=panic quiet"
	# e1000e on the (root) PCIe bus; its module is shipped but not loaded.
	local nic=(-nic none -device e1000e,netdev=n0,romfile= -netdev user,id=n0)
	LA_KMAKE='' LA_BUSYBOX_PKG=''
	case "$LA_ARCH/$LA_KVER" in
	x86_64/6.1|x86_64/6.1-rt)
		if [ "$LA_KVER" = 6.1 ]; then
			LA_IMG_PKG=$LA_PKG_6_1 LA_HDR_PKGS=$LA_HDR_6_1
		else
			LA_IMG_PKG=$LA_PKG_6_1_RT LA_HDR_PKGS=$LA_HDR_6_1_RT
		fi
		LA_QEMU=qemu-system-x86_64
		LA_QEMU_ARGS=(-machine q35,kernel-irqchip=split -cpu max
			-device intel-iommu,intremap=on,caching-mode=on "${nic[@]}")
		LA_APPEND="$x86_append intel_iommu=on iommu=force"
		LA_MODS="e1000e"
		LA_EARLY_MODS=""
		;;
	x86_64/6.12|x86_64/6.12-rt)
		if [ "$LA_KVER" = 6.12 ]; then
			LA_IMG_PKG=$LA_PKG_6_12 LA_HDR_PKGS=$LA_HDR_6_12
		else
			LA_IMG_PKG=$LA_PKG_6_12_RT LA_HDR_PKGS=$LA_HDR_6_12_RT
		fi
		LA_QEMU=qemu-system-x86_64
		LA_QEMU_ARGS=(-machine q35 -cpu max -device virtio-iommu-pci "${nic[@]}")
		LA_APPEND="$x86_append"
		# virtio_net: shipped (not loaded) for tests/stress/hotplug.sh
		LA_MODS="virtio_iommu e1000e virtio_net"
		LA_EARLY_MODS="virtio_iommu"
		;;
	arm64/6.1|arm64/6.12)
		if [ "$LA_KVER" = 6.1 ]; then
			LA_IMG_PKG=$LA_PKG_ARM64_6_1 LA_HDR_PKGS=$LA_HDR_ARM64_6_1
		else
			LA_IMG_PKG=$LA_PKG_ARM64_6_12 LA_HDR_PKGS=$LA_HDR_ARM64_6_12
		fi
		LA_KMAKE="ARCH=arm64 CROSS_COMPILE=$LA_CROSS_ARM64"
		LA_BUSYBOX_PKG=$LA_BUSYBOX_ARM64
		LA_QEMU=qemu-system-aarch64
		# DT boot (no firmware, so no ACPI); SMMUv3 is built in (=y).
		LA_QEMU_ARGS=(-M virt,iommu=smmuv3 -cpu max,pauth-impdef=on "${nic[@]}")
		LA_APPEND="$arm64_append"
		LA_MODS="e1000e"
		LA_EARLY_MODS=""
		;;
	x86_64/7.3|x86_64/7.3-rt)
		if [ "$LA_KVER" = 7.3 ]; then
			LA_IMG_PKG=$LA_PKG_7_3 LA_HDR_PKGS=$LA_HDR_7_3
		else
			LA_IMG_PKG=$LA_PKG_7_3_RT LA_HDR_PKGS=$LA_HDR_7_3_RT
		fi
		# The headers ask for gcc-14 (not in bookworm) and gcc 12 lacks
		# -fmin-function-alignment.
		LA_KMAKE="CC=${LA_CC_X86_64:-x86_64-linux-gnu-gcc} CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT="
		LA_QEMU=qemu-system-x86_64
		case "${LA_K73_X86_IOMMU:-virtio}" in
		virtio)
			LA_QEMU_ARGS=(-machine q35 -cpu max -device virtio-iommu-pci "${nic[@]}")
			LA_APPEND="$x86_append"
			LA_MODS="virtio_iommu e1000e"
			LA_EARLY_MODS="virtio_iommu"
			;;
		intel)
			LA_QEMU_ARGS=(-machine q35,kernel-irqchip=split -cpu max
				-device intel-iommu,intremap=on,caching-mode=on "${nic[@]}")
			LA_APPEND="$x86_append intel_iommu=on iommu=force"
			LA_MODS="e1000e"
			LA_EARLY_MODS=""
			;;
		*) la_die "LA_K73_X86_IOMMU must be virtio or intel" ;;
		esac
		;;
	arm64/7.3)
		LA_IMG_PKG=$LA_PKG_ARM64_7_3 LA_HDR_PKGS=$LA_HDR_ARM64_7_3
		LA_KMAKE="ARCH=arm64 CROSS_COMPILE=$LA_CROSS_ARM64 CC=${LA_CROSS_ARM64}gcc CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT="
		LA_BUSYBOX_PKG=$LA_BUSYBOX_ARM64
		LA_QEMU=qemu-system-aarch64
		LA_QEMU_ARGS=(-M virt,iommu=smmuv3 -cpu max,pauth-impdef=on "${nic[@]}")
		LA_APPEND="$arm64_append"
		LA_MODS="e1000e"
		LA_EARLY_MODS=""
		;;
	*)
		LA_DIE_RC=2 la_die "unknown arch/kernel '$LA_ARCH/$LA_KVER' (known: x86_64/6.1 x86_64/6.12 x86_64/6.1-rt x86_64/6.12-rt x86_64/7.3 x86_64/7.3-rt arm64/6.1 arm64/6.12 arm64/7.3)"
		;;
	esac
	LA_KDIR_CACHE=$LA_CACHE/$LA_ARCH/$LA_KVER
}

# la_prepare_busybox: sets LA_BUSYBOX (a static busybox for the guest arch).
la_prepare_busybox() {
	if [ -z "$LA_BUSYBOX_PKG" ]; then
		LA_BUSYBOX=/bin/busybox
		[ -x "$LA_BUSYBOX" ] || la_die "busybox-static missing (/bin/busybox)"
		return 0
	fi
	local d=$LA_CACHE/$LA_ARCH/busybox
	la_unpack "$d" "$LA_BUSYBOX_PKG"
	LA_BUSYBOX=$d/bin/busybox
	[ -f "$LA_BUSYBOX" ] || la_die "no bin/busybox in $LA_BUSYBOX_PKG"
}

# ---- private apt list (7.x kernels from trixie-backports) -----------------
# apt-get with its own sources.list, lists and caches under $LA_APT_DIR; the
# system's sources, lists and dpkg state are untouched.  The first use runs
# 'apt-get update' on it (~3 s, 20 MB); a download that fails (stale lists:
# the mirror moved on) refreshes it once and retries.

# The mirror the system's apt uses (first .../debian URI); none: an error
# (LA_APT_MIRROR names one). No mirror is written down here.
# Every URI of the system's apt sources (one-line and deb822 formats).
la_apt_uris() {
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
		/^[ \t]*#/ { next }
		/^deb[ \t]/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { print $i; break }; next }
		/^URIs:/ { for (i = 2; i <= NF; i++) print $i }'
}

la_apt_mirror() {
	[ -n "$LA_APT_MIRROR" ] && { echo "$LA_APT_MIRROR"; return; }
	local m
	m=$(la_apt_uris | grep -E '^https?://[^ ]*/debian/?$' | head -n 1)
	[ -n "$m" ] || la_die "no .../debian mirror in the system's apt sources (/etc/apt/sources.list{,.d}): set LA_APT_MIRROR"
	echo "$m"
}

la_apt_opts() {
	local d=$LA_APT_DIR host=${LA_HOST_DPKG_ARCH:=$(dpkg --print-architecture)}
	LA_APT_OPTS=(-o "Dir::Etc::sourcelist=$d/sources.list" -o Dir::Etc::sourceparts=/dev/null
		-o "Dir::State::Lists=$d/lists" -o "Dir::Cache::pkgcache=$d/pkgcache.bin"
		-o "Dir::Cache::srcpkgcache=$d/srcpkgcache.bin" -o Acquire::Languages=none
		-o "APT::Architectures::=$host" -o APT::Architectures::=arm64
		-o APT::Sandbox::User=root)
}

# la_apt_update: (re)create the private sources.list and update its lists.
la_apt_update() {
	local d=$LA_APT_DIR mirror suite host=${LA_HOST_DPKG_ARCH:=$(dpkg --print-architecture)}
	mirror=$(la_apt_mirror)
	mkdir -p "$d/lists/partial" || la_die "cannot create $d"
	for suite in $LA_APT_SUITES; do
		echo "deb [arch=$host,arm64 signed-by=$LA_APT_KEYRING] $mirror $suite main"
	done >"$d/sources.list"
	la_apt_opts
	la_log "private apt list $d: apt-get update ($LA_APT_SUITES from $mirror)"
	rm -f "$d/.updated"
	apt-get "${LA_APT_OPTS[@]}" -q update >&2 || return 1
	touch "$d/.updated"
}

# la_apt_private_file PKGSPEC -> prints the .deb file name apt would download
la_apt_private_file() {
	la_apt_opts
	apt-get "${LA_APT_OPTS[@]}" -q download --print-uris "$1" 2>/dev/null |
		awk 'NR == 1 && NF >= 2 { print $2 }'
}

# la_fetch_deb PKG -> prints path of the .deb (downloads into $LA_CACHE/debs)
la_fetch_deb() {
	local pkg=$1 d f a name arch suite='' file=''
	case "$pkg" in */*) suite=${pkg#*/} pkg=${pkg%%/*} ;; esac
	name=${pkg%%:*}
	# NAME_VERSION_ARCH.deb (an epoch's ':' is %3a); package names never
	# contain '_'.  PKG:ARCH (foreign arch) matches NAME_*_ARCH.deb only,
	# a plain PKG the host's arch or all.  PKG/SUITE: the exact file the
	# private list names (a bookworm libc6 must not stand in for trixie's).
	arch=${LA_HOST_DPKG_ARCH:=$(dpkg --print-architecture)}
	[ "$name" != "$pkg" ] && arch=${pkg#*:}
	la_find_deb() {
		for d in "$@"; do
			if [ -n "$file" ]; then
				[ -f "$d/$file" ] && { echo "$d/$file"; return 0; }
				continue
			fi
			for a in "$arch" all; do
				for f in "$d/${name}_"*"_$a.deb"; do
					[ -f "$f" ] && { echo "$f"; return 0; }
				done
			done
		done
		return 1
	}
	if [ -n "$suite" ]; then
		[ -f "$LA_APT_DIR/.updated" ] || la_apt_update ||
			la_log "warning: private apt update failed; looking for any ${name} .deb"
		if [ -f "$LA_APT_DIR/.updated" ]; then
			file=$(la_apt_private_file "$pkg/$suite")
			if [ -z "$file" ]; then
				la_apt_update || la_die "private apt update failed"
				file=$(la_apt_private_file "$pkg/$suite")
			fi
			[ -n "$file" ] || la_die "$pkg/$suite not found in the private apt list ($LA_APT_DIR)"
		fi
	fi
	# shellcheck disable=SC2086
	la_find_deb "$LA_CACHE/debs" ${LA_DEB_DIRS//:/ } && return 0
	mkdir -p "$LA_CACHE/debs"
	if [ -n "$suite" ]; then
		la_log "apt-get download $pkg/$suite (private list)"
		la_apt_opts
		if ! (cd "$LA_CACHE/debs" && apt-get "${LA_APT_OPTS[@]}" -q download "$pkg/$suite" >&2); then
			la_apt_update || la_die "private apt update failed"
			file=$(la_apt_private_file "$pkg/$suite")
			(cd "$LA_CACHE/debs" && apt-get "${LA_APT_OPTS[@]}" -q download "$pkg/$suite" >&2) ||
				la_die "apt-get download $pkg/$suite failed"
		fi
	else
		la_log "apt-get download $pkg"
		(cd "$LA_CACHE/debs" && apt-get download "$pkg" >&2) || la_die "apt-get download $pkg failed"
	fi
	la_find_deb "$LA_CACHE/debs" && return 0
	la_die "downloaded $pkg but found no .deb"
}

# la_unpack DIR PKG... : unpack packages into DIR once (marker DIR/.unpacked)
# (again if the package list changed, e.g. LA_K73_REL overridden)
la_unpack() {
	local dir=$1; shift
	[ -f "$dir/.unpacked" ] && [ "$(cat "$dir/.unpacked")" = "$*" ] && return 0
	[ -f "$dir/.unpacked" ] && la_log "$(basename "$dir"): packages changed, unpacking again"
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
# 6.x: lib/modules/KREL + boot/vmlinuz-KREL.  7.x (split packages, merged
# /usr): usr/lib/modules/KREL/{vmlinuz.unsigned,kernel/...}; lib -> usr/lib
# is added so that depmod -b and lib/modules paths work alike.
la_prepare_image() {
	LA_IMG=$LA_KDIR_CACHE/image
	# A different image: drop what was derived from the old one.
	# shellcheck disable=SC2086,SC2116
	if [ -f "$LA_IMG/.unpacked" ] && [ "$(cat "$LA_IMG/.unpacked")" != "$(echo $LA_IMG_PKG)" ]; then
		rm -rf "$LA_KDIR_CACHE/mods" "$LA_KDIR_CACHE/kmod"
	fi
	# shellcheck disable=SC2086
	la_unpack "$LA_IMG" $LA_IMG_PKG
	[ -e "$LA_IMG/lib" ] || [ ! -d "$LA_IMG/usr/lib/modules" ] || ln -s usr/lib "$LA_IMG/lib"
	local m
	for m in "$LA_IMG"/lib/modules/*/; do LA_KREL=$(basename "$m"); done
	[ -n "${LA_KREL:-}" ] || la_die "no lib/modules in $LA_IMG_PKG"
	LA_MODDIR=$LA_IMG/lib/modules/$LA_KREL
	for m in "$LA_IMG/boot/vmlinuz-$LA_KREL" "$LA_MODDIR/vmlinuz.unsigned" "$LA_MODDIR/vmlinuz" ""; do
		[ -f "$m" ] && break
	done
	LA_VMLINUZ=$m
	[ -n "$LA_VMLINUZ" ] || la_die "no kernel (boot/vmlinuz-$LA_KREL or lib/modules/$LA_KREL/vmlinuz*) in $LA_IMG_PKG"
	if [ ! -s "$LA_MODDIR/modules.dep" ]; then
		la_log "generating modules.dep for $LA_KREL (busybox depmod, ~10 s once)"
		busybox depmod -b "$LA_IMG" "$LA_KREL" || la_die "depmod failed"
	fi
}

# la_prepare_hostlibs: trixie's ld.so + libc/libelf/zlib/zstd (for the 7.x
# kbuild tools, which need GLIBC_2.38); sets LA_HOSTLIBS.
la_prepare_hostlibs() {
	LA_HOSTLIBS=$LA_CACHE/hostlibs/trixie
	# shellcheck disable=SC2086
	la_unpack "$LA_HOSTLIBS" $LA_HOSTLIBS_TRIXIE
}

# la_wrap_new_glibc_tools DIR: every ELF executable under DIR that needs a
# newer glibc than the host's is renamed X.bin and X becomes a wrapper running
# it through trixie's ld.so (idempotent).
la_wrap_new_glibc_tools() {
	local dir=$1 host_v f need ldso libpath multi
	host_v=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{ print $2 }')
	while IFS= read -r f; do
		case "$f" in *.bin) [ -e "${f%.bin}" ] && continue ;; esac	# a wrapped binary
		head -c 4 "$f" | grep -q ELF || continue	# not ELF (e.g. our wrapper)
		need=$(objdump -T "$f" 2>/dev/null | grep -o 'GLIBC_2\.[0-9]*' | sed 's/GLIBC_//' | sort -V | tail -n 1)
		[ -n "$need" ] || continue
		[ "$(printf '%s\n%s\n' "$host_v" "$need" | sort -V | tail -n 1)" = "$host_v" ] && continue
		if [ -z "${LA_HOSTLIBS:-}" ]; then
			la_prepare_hostlibs
		fi
		multi=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
		ldso=
		for ldso in "$LA_HOSTLIBS"/usr/lib64/ld-linux-x86-64.so.2 "$LA_HOSTLIBS"/lib64/ld-linux-x86-64.so.2 \
			"$LA_HOSTLIBS"/usr/lib/"$multi"/ld-linux*.so.* "$LA_HOSTLIBS"/lib/"$multi"/ld-linux*.so.* ""; do
			[ -e "$ldso" ] && break
		done
		[ -n "$ldso" ] || la_die "no ld.so in $LA_HOSTLIBS"
		libpath=$LA_HOSTLIBS/usr/lib/$multi:$LA_HOSTLIBS/lib/$multi
		# Interrupted anywhere, $f is still either the ELF or the wrapper.
		ln -f "$f" "$f.bin" || la_die "ln $f failed"
		# shellcheck disable=SC2016
		printf '#!/bin/sh\n# needs GLIBC_%s: run with trixie'"'"'s ld.so (tests/vm/lib.sh)\nexec %s --library-path %s "$0.bin" "$@"\n' \
			"$need" "$ldso" "$libpath" >"$f.la-tmp"
		chmod +x "$f.la-tmp"
		mv -f "$f.la-tmp" "$f"
		la_log "wrapped ${f#"$dir"/} (needs GLIBC_$need)"
	done < <(find "$dir" -type f -perm -u+x)
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
	# 'include /usr/src/linux-headers-X-common/Makefile' (and 7.x's
	# 'KBUILD_OUTPUT=/usr/src/linux-headers-X') -> unpacked copy
	sed -i -E "s#^(include|KBUILD_OUTPUT=) */usr/src/#\1 $h/usr/src/#; s#^KBUILD_OUTPUT= #KBUILD_OUTPUT=#" "$LA_KBUILD_DIR/Makefile"
	local kb
	for kb in "$h"/usr/lib/linux-kbuild-*; do
		[ -d "$kb" ] && la_wrap_new_glibc_tools "$kb"
	done
}

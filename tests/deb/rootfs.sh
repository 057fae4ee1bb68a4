# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/deb/rootfs.sh (sourced, after tests/vm/lib.sh): a Debian bookworm
# root file system made by mmdebstrap, cached as a tarball, for the .deb's
# install/remove/purge test (tests/deb/run.sh) and the systemd guest.
#
#   la_rootfs -> prints the path of $LA_CACHE/rootfs/bookworm-HASH.tar.zst,
#                building it first if it is not there (~2-4 min, ~90 MB down)
#
# HASH is of everything that decides its contents: suites, variant, package
# list, and this file's version line (LA_ROOTFS_REV): a changed list makes a
# new tarball (old ones are left for the user to delete). The packages come
# from the mirrors of the machine's own apt sources (la_apt_mirror, and the
# .../debian-security one for the kernel), read at run time.

LA_ROOTFS_REV=1
LA_ROOTFS_SUITE=bookworm
LA_ROOTFS_VARIANT=minbase
# systemd as PID 1, udev and kmod (modules-load), Debian's initramfs-tools
# with zstd, the 6.1 kernel the other tests boot (tests/vm/lib.sh), and an
# operator's monitoring as Debian packages it: node_exporter (its textfile
# collector reads what lockaudit-metrics.service writes) and a Prometheus
# server scraping it (its promtool queries the server)
LA_ROOTFS_PKGS="systemd-sysv udev kmod initramfs-tools zstd $LA_PKG_6_1 prometheus-node-exporter prometheus"

# the first .../debian-security URI of the system's apt sources
la_apt_security_mirror() {
	local m
	m=$(la_apt_uris | grep -E '^https?://[^ ]*/debian-security/?$' | head -n 1)
	[ -n "$m" ] || la_die "no .../debian-security mirror in the system's apt sources (the kernel package is there)"
	echo "$m"
}

la_rootfs() {
	local key hash dir out mirror sec tmp
	key="rev=$LA_ROOTFS_REV suite=$LA_ROOTFS_SUITE variant=$LA_ROOTFS_VARIANT pkgs=$LA_ROOTFS_PKGS"
	hash=$(printf '%s\n' "$key" | sha256sum | cut -c1-16)
	dir=$LA_CACHE/rootfs
	out=$dir/$LA_ROOTFS_SUITE-$hash.tar.zst
	if [ -f "$out" ]; then
		echo "$out"
		return 0
	fi
	command -v mmdebstrap >/dev/null || la_die "mmdebstrap not found (make deps)"
	mirror=$(la_apt_mirror) || return 1
	sec=$(la_apt_security_mirror) || return 1
	mkdir -p "$dir" || la_die "cannot create $dir"
	tmp=$dir/.tmp-$hash-$$.tar.zst
	la_log "mmdebstrap $LA_ROOTFS_SUITE ($LA_ROOTFS_VARIANT + $LA_ROOTFS_PKGS) -> $out"
	if ! mmdebstrap --quiet --variant="$LA_ROOTFS_VARIANT" \
		--include="${LA_ROOTFS_PKGS// /,}" \
		"$LA_ROOTFS_SUITE" "$tmp" \
		"deb $mirror $LA_ROOTFS_SUITE main" \
		"deb $mirror $LA_ROOTFS_SUITE-updates main" \
		"deb $sec $LA_ROOTFS_SUITE-security main" >&2; then
		rm -f "$tmp"
		la_die "mmdebstrap failed"
	fi
	printf '%s\n' "$key" >"$dir/$LA_ROOTFS_SUITE-$hash.key"
	mv -f "$tmp" "$out"
	echo "$out"
}

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/mhd-build.sh ARCH OUTDIR - libmicrohttpd for the static lockaudit
# binary (`run --metrics`): Debian's source package, built without HTTPS,
# as OUTDIR/lib/libmicrohttpd.a and OUTDIR/include/microhttpd.h.
#
# Why not Debian's libmicrohttpd-dev: its libmicrohttpd.a is built with
# HTTPS, so daemon.o needs GnuTLS; Debian's libgnutls.a in turn needs
# p11-kit, which Debian ships only as a shared library, so no static link
# resolves. And MHD's library constructor calls gnutls_global_init() in
# every process, which every lockaudit command (the initramfs hook too)
# would pay for a TLS it never uses. The same Debian source, configured
# --disable-https, needs nothing but libc and pthreads.
#
# The source (apt-get source, with Debian's patches applied) comes through
# a private deb-src list of the machine's own Debian mirror (tests/vm/lib.sh
# la_apt_mirror) and is cached in .cache/mhd; the system's apt sources are
# untouched. ARCH: x86_64 or arm64 (cross: aarch64-linux-gnu-gcc).
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 x86_64|arm64 OUTDIR" >&2
	exit 2
fi
arch=$1
out=$(mkdir -p "$2" && cd "$2" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${LA_MHD_CACHE:-$top/.cache/mhd}
suite=${LA_MHD_SUITE:-bookworm}

die() {
	echo "mhd-build: $*" >&2
	exit 1
}

case $arch in
x86_64) host=() nm=nm ;;
arm64) host=(--host=aarch64-linux-gnu) nm=aarch64-linux-gnu-nm ;;
*) die "unknown ARCH '$arch' (x86_64 or arm64)" ;;
esac

# the unpacked source tree, fetched once
fetch_source() {
	local d=$cache/apt mirror opts
	# shellcheck source=../tests/vm/lib.sh
	. "$top/tests/vm/lib.sh"
	mirror=$(la_apt_mirror)
	mkdir -p "$d/lists/partial" "$cache/src"
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" \
		>"$d/sources.list"
	opts=(-o "Dir::Etc::sourcelist=$d/sources.list"
		-o Dir::Etc::sourceparts=/dev/null -o "Dir::State::Lists=$d/lists"
		-o "Dir::Cache::pkgcache=$d/pkgcache.bin"
		-o "Dir::Cache::srcpkgcache=$d/srcpkgcache.bin"
		-o Acquire::Languages=none -o APT::Sandbox::User=root)
	echo "mhd-build: apt-get source libmicrohttpd ($suite)" >&2
	apt-get "${opts[@]}" -q update >&2 || die "apt-get update of $d failed"
	(cd "$cache/src" && apt-get "${opts[@]}" -q source libmicrohttpd >&2) ||
		die "apt-get source libmicrohttpd failed (dpkg-dev installed?)"
}

src=$(ls -d "$cache"/src/libmicrohttpd-*/ 2>/dev/null | head -n 1 || true)
if [ -z "$src" ] || [ ! -x "$src/configure" ]; then
	fetch_source
	src=$(ls -d "$cache"/src/libmicrohttpd-*/ | head -n 1)
fi

# out of tree, one build directory per architecture
b=$out/build
rm -rf "$b" && mkdir -p "$b"
echo "mhd-build: building $(basename "$src") for $arch (no HTTPS) in $b" >&2
(
	cd "$b"
	"$src/configure" -q "${host[@]}" --prefix="$out" --disable-https \
		--without-gnutls --disable-shared --enable-static --disable-doc \
		--disable-examples --disable-curl --disable-nls \
		--disable-postprocessor --disable-dauth --disable-bauth \
		--disable-httpupgrade >configure.log 2>&1 ||
		{ tail -n 20 configure.log >&2; exit 1; }
	make -s -j2 -C src/microhttpd >make.log 2>&1 ||
		{ tail -n 20 make.log >&2; exit 1; }
	make -s -C src/microhttpd install >>make.log 2>&1
	make -s -C src/include install >>make.log 2>&1
) || die "building libmicrohttpd for $arch failed (log: $b)"
# the HTTPS-free build is what the static link relies on
if "$nm" -u "$out/lib/libmicrohttpd.a" 2>/dev/null | grep -q gnutls; then
	die "$out/lib/libmicrohttpd.a still needs GnuTLS"
fi
rm -rf "$b"
echo "mhd-build: $out/lib/libmicrohttpd.a" >&2

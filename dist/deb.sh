#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dist/deb.sh [ARCH...] - build the lockaudit .deb for each Debian ARCH
# (amd64, arm64; default: this machine's) into build/deb/ (`make deb`).
#
# The package is built from a copy of the tree (without build/, .cache/ and
# .git) in build/deb/src/lockaudit-VERSION, so that dpkg-buildpackage's
# clean step and its outputs in the parent directory (.deb, .buildinfo,
# .changes) stay out of the developer's tree: they land in build/deb/src/
# and are moved to build/deb/. arm64 is a cross build (dpkg-buildpackage
# -aarm64, which debian/rules maps to the Makefile's ARCH=arm64).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$top/build/deb
die() { echo "deb.sh: $*" >&2; exit 1; }

[ $# -gt 0 ] || set -- "$(dpkg --print-architecture)"
version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
src=$out/src/lockaudit-${version%-*}

for arch in "$@"; do
	case $arch in amd64 | arm64) ;; *) die "ARCH must be amd64 or arm64, not '$arch'" ;; esac
	rm -rf "$out/src"
	mkdir -p "$src"
	tar -C "$top" --exclude=./build --exclude=./.cache --exclude=./.git -cf - . |
		tar -C "$src" -xf -
	opts=(-b -us -uc)
	[ "$arch" = "$(dpkg --print-architecture)" ] || opts+=("-a$arch")
	echo "deb.sh: dpkg-buildpackage ${opts[*]} (in $src)"
	(cd "$src" && dpkg-buildpackage "${opts[@]}") >"$out/build-$arch.log" 2>&1 ||
		{ tail -n 30 "$out/build-$arch.log" >&2; die "dpkg-buildpackage for $arch failed (log: $out/build-$arch.log)"; }
	base=lockaudit_${version}_$arch
	for f in "$base.deb" "lockaudit-dbgsym_${version}_$arch.deb" \
		"$base.buildinfo" "$base.changes"; do
		[ -f "$out/src/$f" ] || die "dpkg-buildpackage made no $f"
		mv -f "$out/src/$f" "$out/$f"
	done
	rm -rf "$out/src"
	echo "deb.sh: $out/$base.deb"
done

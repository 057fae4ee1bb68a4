#!/bin/bash
# make deps: install the Debian packages that building and testing need.
# Idempotent and quiet when everything is present.
set -euo pipefail

pkgs=(
	# build
	make gcc clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev
	libjson-c-dev
	# unit tests, schema validation, CLI tests
	libcmocka-dev python3 python3-jsonschema util-linux
	# guests: qemu, initramfs, kernel packages, test module for 6.1
	qemu-system-x86 busybox-static cpio xz-utils zstd
	linux-headers-6.1.0-56-amd64
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "make deps: missing packages: ${missing[*]}; run 'sudo make deps'" >&2
	exit 1
fi
echo "make deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

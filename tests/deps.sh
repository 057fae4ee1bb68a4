#!/bin/bash
# make deps: install the Debian packages that building and testing need.
# Idempotent and quiet when everything is present.
set -euo pipefail

pkgs=(
	# build (x86_64)
	make gcc clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev
	libjson-c-dev
	# cross-build for arm64 (make ARCH=arm64)
	gcc-aarch64-linux-gnu libbpf-dev:arm64 libelf-dev:arm64
	zlib1g-dev:arm64 libjson-c-dev:arm64
	# fuzzing (make fuzz): clang's libFuzzer/ASan/UBSan/profile runtimes,
	# only recommended by clang-14 (so not installed by the line above)
	libclang-rt-14-dev
	# unit tests, schema validation, CLI tests
	libcmocka-dev python3 python3-jsonschema util-linux strace
	# metrics: libmicrohttpd's Debian source (apt-get source needs
	# dpkg-dev: tools/mhd-build.sh), promtool and an OpenMetrics parser
	dpkg-dev prometheus python3-prometheus-client
	# guests: qemu, initramfs, kernel packages, test module for 6.1
	qemu-system-x86 qemu-system-arm busybox-static cpio xz-utils zstd
	binutils linux-headers-6.1.0-56-amd64
	# boot integration tests: Debian's initramfs, root image, units, man page
	initramfs-tools udev kmod e2fsprogs systemd groff-base man-db
	# Debian package (make deb, deb-test): build, lint, throwaway root
	debhelper dpkg-dev lintian mmdebstrap
)

if [ "$(id -u)" = 0 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
	need_update=1
fi
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && [ -z "${need_update:-}" ] && exit 0
if [ ${#missing[@]} -eq 0 ]; then
	apt-get update -qq
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "make deps: missing packages: ${missing[*]}; run 'sudo make deps'" >&2
	exit 1
fi
echo "make deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2154 # rc: set by run() in run.sh
#
# Pinned state (--pin-dir): sourced by tests/cli/run.sh. The state is made
# by tests/cli/pinfake (maps only: the host refuses BPF programs) in a
# private bpffs mounted under $T, never under /sys/fs/bpf. Needs root.

PINFAKE=${PINFAKE:-$(dirname "$BIN")/pinfake}
B=$T/bpf

pin_skip() {
	skip "pin: pinned-state cases" "$1"
}

if [ "$(id -u)" -ne 0 ]; then
	pin_skip "need root to mount bpffs and create BPF maps"
elif [ ! -x "$PINFAKE" ]; then
	pin_skip "no helper $PINFAKE (make build/pinfake)"
elif ! mkdir -p "$B" || ! mount -t bpf bpf "$B" 2>"$ERR"; then
	pin_skip "cannot mount bpffs on $B: $(head -n 1 "$ERR")"
else
	trap 'umount "$B" 2>/dev/null; rm -rf "$T"' EXIT

	# pin_ok NAME WHY CMD...: ok if CMD succeeds, else bad NAME WHY
	pin_ok() {
		local name=$1 why=$2
		shift 2
		if "$@"; then
			ok "$name"
		else
			bad "$name" "$why"
		fi
	}

	# pin_path NAME [!] -e PATH: a path must (not) exist after a command
	pin_path() {
		local name=$1
		shift
		pin_ok "$name" "test $* is false" test "$@"
	}

	# no temporary directory left beside the pin directories
	pin_no_tmp() {
		run ls "$B"
		pin_ok "$1" "$(tr '\n' ' ' <"$OUT")" \
			test -z "$(grep -- -new- "$OUT")"
	}

	# lockaudit's own layout is adopted
	"$PINFAKE" "$B/good" good
	run "$BIN" collect --pin-dir "$B/good"
	pin_ok "pin: collect reads lockaudit's layout" "exit $rc, want 0" \
		test "$rc" -eq 0
	expect "pin: boot on lockaudit's layout: already attached" 10 \
		"already attached (state pinned under $B/good)" \
		"$BIN" boot --pin-dir "$B/good"
	pin_no_tmp "pin: pinning leaves no temporary directory"

	# pinning never goes into a directory that is there already
	mkdir -m 0700 "$B/there"
	run "$PINFAKE" "$B/there" good
	pin_ok "pin: pinning refuses an existing directory" "exit $rc" \
		grep -q "cannot move the pins to $B/there: File exists" "$ERR"
	run ls -A "$B/there"
	pin_ok "pin: the refused directory stays empty" "$(tr '\n' ' ' <"$OUT")" \
		test "$rc" -eq 0 -a ! -s "$OUT"
	pin_no_tmp "pin: a failed pinning leaves no temporary directory"

	run "$PINFAKE" "$T/nobpf" good
	pin_ok "pin: pinning refuses a directory not on bpffs" "exit $rc" \
		grep -q "cannot pin under $T/nobpf: its directory is not on a BPF filesystem" "$ERR"
	pin_path "pin: ... and creates nothing" ! -e "$T/nobpf"

	# maps that are not as the BPF object declares them are never read
	"$PINFAKE" "$B/big" value-size
	expect "pin: collect refuses a map with a larger value" 12 \
		"$B/big/sites is not lockaudit's map: value size 65536, the BPF object declares" \
		"$BIN" collect --pin-dir "$B/big"
	expect "pin: run refuses to adopt it" 12 \
		"$B/big/sites is not lockaudit's map: value size 65536" \
		"$BIN" run --duration 1 --pin-dir "$B/big"
	expect "pin: boot does not call it attached" 12 \
		"$B/big/sites is not lockaudit's map" "$BIN" boot --pin-dir "$B/big"
	"$PINFAKE" "$B/swap" same-layout
	expect "pin: collect refuses a map meta does not record" 12 \
		"$B/swap/sites is not the map lockaudit pinned there" \
		"$BIN" collect --pin-dir "$B/swap"

	# somebody else's directory or meta is not "already attached"
	"$PINFAKE" "$B/fmeta" foreign-meta
	expect "pin: boot on a foreign meta map" 12 \
		"$B/fmeta/meta is not lockaudit's map: value size 4, the BPF object declares" \
		"$BIN" boot --pin-dir "$B/fmeta"
	mkdir -m 0700 "$B/empty"
	expect "pin: boot on an empty directory" 12 "$B/empty/meta is missing" \
		"$BIN" boot --pin-dir "$B/empty"
	mkdir -m 0700 "$T/plain" && touch "$T/plain/meta"
	expect "pin: boot on a directory not on bpffs" 12 \
		"$T/plain is not on a BPF filesystem (bpffs)" \
		"$BIN" boot --pin-dir "$T/plain"
	expect "pin: collect on a directory not on bpffs" 12 \
		"$T/plain is not on a BPF filesystem (bpffs)" \
		"$BIN" collect --pin-dir "$T/plain"

	# owner and mode: only lockaudit's own directory is used
	"$PINFAKE" "$B/owner" good && chown 65534 "$B/owner"
	expect "pin: collect refuses another owner's directory" 12 \
		"$B/owner is owned by uid 65534, not 0" \
		"$BIN" collect --pin-dir "$B/owner"
	"$PINFAKE" "$B/mode" good && chmod 0770 "$B/mode"
	expect "pin: collect refuses a group-writable directory" 12 \
		"$B/mode has mode 0770, lockaudit's has 0700" \
		"$BIN" collect --pin-dir "$B/mode"

	# --detach: only lockaudit's pins, never through a symbolic link
	"$PINFAKE" "$B/real" good
	ln -s real "$B/link"
	expect "pin: collect --detach refuses a symlinked directory" 12 \
		"$B/link is a symbolic link, not lockaudit's directory" \
		"$BIN" collect --detach --pin-dir "$B/link"
	pin_path "pin: ... and removes nothing behind it" -e "$B/real/meta"
	"$PINFAKE" "$B/det" good && "$PINFAKE" "$B/det" pin other
	expect "pin: collect --detach with a foreign pin" 0 \
		"lockaudit: detached; left $B/det: it holds entries lockaudit did not pin" \
		"$BIN" collect --detach --pin-dir "$B/det"
	pin_path "pin: ... leaves the foreign pin" -e "$B/det/other"
	pin_path "pin: ... removes lockaudit's pins" ! -e "$B/det/meta"
	"$PINFAKE" "$B/det2" good && "$PINFAKE" "$B/det2" pin link_0
	expect "pin: collect --detach with a foreign link_0 (meta records none)" 0 \
		"left $B/det2: it holds entries lockaudit did not pin" \
		"$BIN" collect --detach --pin-dir "$B/det2"
	pin_path "pin: ... leaves it" -e "$B/det2/link_0"
	# links (XDP on the loopback of a network namespace of pinfake's own)
	if ! unshare -n true 2>/dev/null; then
		skip "pin: link cases" "unshare -n (a network namespace) fails"
	elif ! unshare -n "$PINFAKE" "$B/lnk" good-link 2>"$ERR"; then
		skip "pin: link cases" "no XDP link: $(head -n 1 "$ERR")"
	else
		expect "pin: collect --detach with lockaudit's link" 0 \
			"lockaudit: detached and unpinned $B/lnk" \
			"$BIN" collect --detach --pin-dir "$B/lnk"
		pin_path "pin: ... removes its pin and the directory" ! -e "$B/lnk"
		unshare -n "$PINFAKE" "$B/lnk2" good-link &&
			unshare -n "$PINFAKE" "$B/lnk2" link link_mod_0
		expect "pin: collect --detach with another link as link_mod_0" 0 \
			"left $B/lnk2: it holds entries lockaudit did not pin" \
			"$BIN" collect --detach --pin-dir "$B/lnk2"
		pin_path "pin: ... leaves that link" -e "$B/lnk2/link_mod_0"
		pin_path "pin: ... removes lockaudit's maps" ! -e "$B/lnk2/sites"
	fi

	expect "pin: collect --detach of lockaudit's layout" 0 \
		"lockaudit: detached and unpinned $B/good" \
		"$BIN" collect --detach --pin-dir "$B/good"
	pin_path "pin: ... removes the directory" ! -e "$B/good"
	expect "pin: collect after the detach: nothing pinned" 11 \
		"nothing pinned under $B/good" "$BIN" collect --pin-dir "$B/good"

	expect "pin: collect --help documents --pin-dir" 0 "--pin-dir=DIR" \
		"$BIN" collect --help

	umount "$B" || bad "pin: unmount $B" "umount failed"
	trap 'rm -rf "$T"' EXIT
fi

#!/bin/bash
# tests/boot/static.sh: host-side checks of dist/ and docs/lockaudit.8 (no VM):
# dist/install.sh layout for PREFIX=/usr and /usr/local, systemd-analyze
# verify of the installed units (clean, and a broken control unit caught),
# the man page renders without groff warnings, shell syntax of the scripts.
# Usage: tests/boot/static.sh [BINARY]   (root: verify runs in a private
# mount namespace where the binary is at the units' /usr/sbin/lockaudit)
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-${LA_LOCKAUDIT:-$top/build/lockaudit}}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "  ok   $*"; }
bad() { fail=$((fail + 1)); echo "  FAIL $*"; }
t() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

work=$(mktemp -d /tmp/lockaudit-static.XXXXXX)
trap 'rm -rf "$work"' EXIT

# ---- install.sh -------------------------------------------------------------
d=$work/usr
bash "$top/dist/install.sh" "$d" /usr "$bin" >/dev/null
want="lib/systemd/system/lockaudit-boot.service 644
lib/systemd/system/lockaudit-metrics.service 644
lib/systemd/system/lockaudit-metrics.timer 644
lib/systemd/system/lockaudit.service 644
usr/sbin/lockaudit 755
usr/share/initramfs-tools/hooks/lockaudit 755
usr/share/initramfs-tools/scripts/init-top/lockaudit 755
usr/share/man/man8/lockaudit.8.gz 644
var/lib/lockaudit 750"
got=$(cd "$d" && find . \( -type f -o -path ./var/lib/lockaudit \) -printf '%P %m\n' | sort)
t "install.sh PREFIX=/usr: files and modes" [ "$got" = "$want" ]
[ "$got" = "$want" ] || diff <(echo "$want") <(echo "$got") | sed 's/^/       /'
t "install.sh: units and hook name /usr/sbin/lockaudit" \
	grep -q 'ExecStart=/usr/sbin/lockaudit boot' "$d/lib/systemd/system/lockaudit-boot.service"
t "install.sh: lockaudit-metrics.service writes node_exporter's textfile with /usr/sbin/lockaudit" \
	grep -q 'ExecStart=/usr/sbin/lockaudit collect --metrics /var/lib/prometheus/node-exporter/lockaudit.prom' \
	"$d/lib/systemd/system/lockaudit-metrics.service"
t "install.sh: no @SBINDIR@ left" \
	sh -c "! grep -rq @SBINDIR@ '$d'"
t "install.sh: man page is gzip -9n (no name, no time stamp)" \
	sh -c "gzip -lv '$d/usr/share/man/man8/lockaudit.8.gz' >/dev/null && [ \"\$(od -An -tx1 -j4 -N4 '$d/usr/share/man/man8/lockaudit.8.gz' | tr -d ' ')\" = 00000000 ]"
tree() { (cd "$1" && find . -printf '%P %m %s\n' | sort && find . -type f -exec md5sum {} + | sort); }
before=$(tree "$d")
bash "$top/dist/install.sh" "$d" /usr "$bin" >/dev/null
t "install.sh: idempotent (second run, identical tree and contents)" [ "$before" = "$(tree "$d")" ]
l=$work/local
bash "$top/dist/install.sh" "$l" /usr/local "$bin" >/dev/null
t "install.sh PREFIX=/usr/local: units in /usr/local/lib/systemd/system, ExecStart /usr/local/sbin" \
	grep -q 'ExecStart=/usr/local/sbin/lockaudit run' "$l/usr/local/lib/systemd/system/lockaudit.service"
t "install.sh: no binary -> error" \
	sh -c "! bash '$top/dist/install.sh' '$work/x' /usr /nonexistent 2>/dev/null"

# ---- systemd-analyze verify ---------------------------------------------------
# verify needs the ExecStart binary at its real path: give it one in a mount
# namespace of its own (overlay on /usr/sbin), so the host is not changed.
verify() { # UNIT... -> output of systemd-analyze verify, and its status
	mkdir -p "$work/ov/up" "$work/ov/work"
	cp "$bin" "$work/ov/up/lockaudit"
	# shellcheck disable=SC2016 # expanded by the inner shell
	OV=$work/ov unshare --mount --propagation private sh -c '
		mount -t overlay la-sbin -o "lowerdir=/usr/sbin,upperdir=$OV/up,workdir=$OV/work" /usr/sbin &&
		systemd-analyze verify --man=no "$@" 2>&1' sh "$@"
}
units=("$d/lib/systemd/system/lockaudit-boot.service" "$d/lib/systemd/system/lockaudit.service"
	"$d/lib/systemd/system/lockaudit-metrics.service" "$d/lib/systemd/system/lockaudit-metrics.timer")
out=$(verify "${units[@]}")
rc=$?
t "systemd-analyze verify: the 4 units, exit 0 and no output" [ "$rc" = 0 ] && [ -z "$out" ]
[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/       /'
sed 's/^NoNewPrivileges=/NoNewPrivilege=/; s/^ExecStart=.*/ExecStart=lockaudit run/' \
	"$d/lib/systemd/system/lockaudit.service" >"$work/broken.service"
out=$(verify "$work/broken.service")
t "systemd-analyze verify: catches a broken control unit" \
	sh -c "echo \"\$0\" | grep -q NoNewPrivilege" "$out"
out=$(systemd-analyze security --offline=yes "${units[1]}" 2>&1 | tail -1)
echo "  info systemd-analyze security lockaudit.service: ${out#→ }"

# ---- man page -------------------------------------------------------------------
out=$(groff -ww -man -z "$top/docs/lockaudit.8" 2>&1)
t "groff -ww -man -z docs/lockaudit.8: no warnings" [ -z "$out" ]
[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/       /'
out=$(MANWIDTH=80 man --warnings -l "$top/docs/lockaudit.8" 2>&1 >/dev/null)
t "man --warnings -l docs/lockaudit.8: no warnings" [ -z "$out" ]
missing=
for w in '"lockaudit boot"' '"lockaudit collect"' '"lockaudit run"' '"lockaudit probes"' \
	'"lockaudit report"' '\-\-detach' '\-\-pretty' '\-\-events' '\-\-duration' \
	'\-\-attach' '\-\-hooks' '\-\-btf' '.B 10' '.B 11' '.BR bpftool (8)'; do
	grep -qF -- "$w" "$top/docs/lockaudit.8" || missing="$missing $w"
done
t "man page has every command, option, exit 10/11 and bpftool(8)${missing:+ (missing:$missing)}" [ -z "$missing" ]

# ---- scripts ----------------------------------------------------------------------
for s in dist/initramfs-tools/hooks/lockaudit dist/initramfs-tools/scripts/init-top/lockaudit; do
	t "dash -n and busybox sh -n $s" sh -c "dash -n '$top/$s' && busybox sh -n '$top/$s'"
done
if command -v shellcheck >/dev/null; then
	t "shellcheck dist/ tests/boot/" shellcheck -s sh "$top/dist/initramfs-tools/hooks/lockaudit" \
		"$top/dist/initramfs-tools/scripts/init-top/lockaudit"
	t "shellcheck (bash) dist/install.sh tests/boot/*.sh" shellcheck "$top/dist/install.sh" \
		"$top/tests/boot/run.sh" "$top/tests/boot/static.sh"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

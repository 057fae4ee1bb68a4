#!/bin/bash
# Install lockaudit with its system integration (see docs/lockaudit.8, FILES).
#
#   dist/install.sh [DESTDIR [PREFIX [BINARY]]]
#
#   DESTDIR  staging root ("" = the live system)           default ""
#   PREFIX   /usr or /usr/local                            default /usr
#   BINARY   the static lockaudit binary to install        default build/lockaudit
#   UNITDIR  (environment) override the systemd unit directory
#
# Layout:
#   PREFIX/sbin/lockaudit                          the binary (0755)
#   UNITDIR/lockaudit-boot.service, lockaudit.service,
#          lockaudit-metrics.service, lockaudit-metrics.timer
#       UNITDIR: /lib/systemd/system for PREFIX=/usr (Debian 12's
#       systemdsystemunitdir, where packages must ship units until the /usr
#       move of Debian 13), else PREFIX/lib/systemd/system (in systemd's
#       search path for /usr/local).
#   /usr/share/initramfs-tools/hooks/lockaudit, .../scripts/init-top/lockaudit
#       (always there: mkinitramfs reads only /usr/share/initramfs-tools and
#       /etc/initramfs-tools)
#   PREFIX/share/man/man8/lockaudit.8.gz           (gzip -9n: reproducible)
#   /var/lib/lockaudit                             report directory (0750)
#
# The binary's path (PREFIX/sbin/lockaudit) is written into the units and the
# initramfs hook.  Nothing is enabled or rebuilt: with DESTDIR empty the
# script prints the commands that do that.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
destdir=${1:-}
prefix=${2:-/usr}
binary=${3:-$top/build/lockaudit}

die() { echo "install.sh: $*" >&2; exit 1; }
[ $# -le 3 ] || die "usage: dist/install.sh [DESTDIR [PREFIX [BINARY]]]"
case $prefix in /*) ;; *) die "PREFIX must be absolute: '$prefix'" ;; esac
[ -n "$destdir" ] && case $destdir in /*) ;; *) destdir=$PWD/$destdir ;; esac
prefix=${prefix%/}
[ -n "$prefix" ] || prefix=/usr
{ [ -f "$binary" ] && [ -x "$binary" ]; } || die "no executable binary at '$binary' (run make first)"

sbindir=$prefix/sbin
if [ -n "${UNITDIR:-}" ]; then
	unitdir=$UNITDIR
elif [ "$prefix" = /usr ]; then
	unitdir=/lib/systemd/system
else
	unitdir=$prefix/lib/systemd/system
fi
itdir=/usr/share/initramfs-tools
mandir=$prefix/share/man/man8
D=$destdir

# subst SRC DEST MODE: copy with @SBINDIR@ replaced
subst() {
	install -d -m 0755 "$(dirname "$2")"
	sed "s|@SBINDIR@|$sbindir|g" "$1" >"$2.tmp"
	chmod "$3" "$2.tmp"
	mv -f "$2.tmp" "$2"
}

install -d -m 0755 "$D$sbindir"
install -m 0755 "$binary" "$D$sbindir/lockaudit"
for u in lockaudit-boot.service lockaudit.service lockaudit-metrics.service \
	lockaudit-metrics.timer; do
	subst "$top/dist/systemd/$u" "$D$unitdir/$u" 0644
done
subst "$top/dist/initramfs-tools/hooks/lockaudit" "$D$itdir/hooks/lockaudit" 0755
subst "$top/dist/initramfs-tools/scripts/init-top/lockaudit" \
	"$D$itdir/scripts/init-top/lockaudit" 0755
install -d -m 0755 "$D$mandir"
gzip -9n <"$top/docs/lockaudit.8" >"$D$mandir/lockaudit.8.gz.tmp"
chmod 0644 "$D$mandir/lockaudit.8.gz.tmp"
mv -f "$D$mandir/lockaudit.8.gz.tmp" "$D$mandir/lockaudit.8.gz"
install -d -m 0750 "$D/var/lib/lockaudit"

echo "installed lockaudit into ${D:-/} (prefix $prefix, units in $unitdir)"
if [ -z "$D" ]; then
	echo "next: update-initramfs -u   # attach from the initramfs, before udev"
	echo "      systemctl daemon-reload"
	echo "      systemctl enable lockaudit-boot.service   # attach at boot without the initramfs"
	echo "      systemctl enable --now lockaudit.service  # long-running, report in /var/lib/lockaudit"
	echo "      systemctl enable --now lockaudit-metrics.timer  # for node_exporter's textfile collector"
fi

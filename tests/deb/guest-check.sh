#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# la-check (in the guest of tests/deb/guest.sh, run by la-check.service once
# lockaudit.service has started): prints the state tests/deb/guest_check.py
# asserts between @@BEGIN NAME / @@END markers and @@KEY lines (the boot's
# counts, then the same through lockaudit-metrics.timer, node_exporter and
# the Prometheus server); then kills lockaudit.service with SIGKILL (systemd restarts it, it adopts again),
# stops it (it writes its report), removes the package (its prerm
# detaches the pinned state), installs it again (the units start), and
# powers off.
sec() {
	n=$1
	shift
	echo "@@BEGIN $n"
	"$@" 2>&1
	echo
	echo "@@END"
}
# wait up to 60 s until lockaudit.service has said "adopted" N times
adopted() {
	i=0
	while [ $i -lt 60 ] && [ "$(journalctl -b -u lockaudit.service -o cat | grep -c 'adopted from')" -lt "$1" ]; do
		sleep 1
		i=$((i + 1))
	done
	echo "@@WAITED_$1 $i"
}
echo "@@ROOT $(cat /proc/uptime)"

# ---- booted with lockaudit=off: neither the hook nor the units attach
if grep -qw 'lockaudit=off' /proc/cmdline; then
	sec off-units systemctl show -p Id -p ActiveState -p ConditionResult \
		lockaudit-boot.service lockaudit.service
	sec off-kmsg sh -c 'journalctl -b -k -o short-monotonic --no-pager | grep lockaudit:'
	sec off-journal-errors journalctl -b -p err -o short-monotonic --no-pager
	echo "@@OFF_PINS $(find /sys/fs/bpf -mindepth 1 -maxdepth 1 -printf '%f ')."
	lockaudit collect >/dev/null 2>&1
	echo "@@OFF_COLLECT_RC $?"
	sec off-e1000e sh -c 'ls /sys/bus/pci/drivers/e1000e | grep :'
	sec off-modules cat /proc/modules
	echo "@@DONE"
	sync
	systemctl --force --force poweroff
fi
adopted 1

# ---- the boot: initramfs hook, units, journal, modules, counts
sec pid1 cat /proc/1/comm
sec is-active systemctl is-active lockaudit-boot.service lockaudit.service systemd-modules-load.service
sec show-boot systemctl show -p Result -p ExecMainStatus -p ActiveState lockaudit-boot.service
sec show-run systemctl show -p Result -p ActiveState -p SubState -p NRestarts lockaudit.service
sec bootlog cat /run/initramfs/lockaudit.log
sec kmsg journalctl -b -k -o short-monotonic --no-pager
sec journal-units journalctl -b -o short-monotonic --no-pager -u lockaudit-boot.service -u lockaudit.service
sec journal-errors journalctl -b -p err -o short-monotonic --no-pager
sec pinned ls /sys/fs/bpf/lockaudit
# shellcheck disable=SC2016 # expanded by sh -c
sec pci-bound sh -c 'for d in /sys/bus/pci/drivers/*/0000:*; do echo "${d##*/} ${d%/*}"; done | sed "s| /sys/bus/pci/drivers/| |"'
sec modules cat /proc/modules
lockaudit collect --json /run/collect.json --pretty >/run/collect.txt 2>&1
echo "@@COLLECT_RC $?"
sec collect cat /run/collect.txt
sec json cat /run/collect.json

# ---- Prometheus: lockaudit-metrics.timer has lockaudit-metrics.service
# write the textfile (15 s after the timer started), node_exporter serves
# it, the Prometheus server (Debian's configuration as packaged: job "node"
# scrapes localhost:9100 every 15 s) stores it
prom=/var/lib/prometheus/node-exporter/lockaudit.prom
i=0
while [ $i -lt 180 ] && [ ! -s $prom ]; do
	sleep 1
	i=$((i + 1))
done
echo "@@PROM_WAITED $i"
sec metrics-timer systemctl show -p ActiveState -p Result lockaudit-metrics.timer
sec metrics-service systemctl show -p Result -p ExecMainStatus lockaudit-metrics.service
sec prom-file cat $prom
echo "@@PROM_STAT $(stat -c '%a %U' $prom)"
sec monitoring-active systemctl is-active prometheus-node-exporter.service prometheus.service
# node_exporter's /metrics over HTTP (bash's /dev/tcp: the minimal root has
# no HTTP client), its textfile collector's lines and lockaudit's
# shellcheck disable=SC2016 # expanded by bash -c
sec node-exporter bash -c 'exec 3<>/dev/tcp/127.0.0.1/9100 &&
	printf "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n" >&3 &&
	tr -d "\r" <&3 | grep -E "^(HTTP/|lockaudit_|node_textfile_)"'
# the server's instant query for la_test's violations, until a scrape has
# stored them
q='lockaudit_violations_total{module="la_test"}'
i=0
while [ $i -lt 180 ] && ! promtool query instant http://127.0.0.1:9090 "$q" 2>/dev/null | grep -q ' => '; do
	sleep 2
	i=$((i + 2))
done
echo "@@PROMQL_WAITED $i"
sec promql promtool query instant http://127.0.0.1:9090 "$q"
sec promql-up promtool query instant http://127.0.0.1:9090 'up{job="node"}'

# ---- kill -9: systemd restarts lockaudit.service, which adopts again
pid=$(systemctl show -p MainPID --value lockaudit.service)
echo "@@KILLED $pid"
kill -9 "$pid"
adopted 2
sec show-run-killed systemctl show -p ActiveState -p SubState -p NRestarts -p MainPID lockaudit.service
lockaudit collect --json /run/collect2.json >/dev/null 2>&1
echo "@@COLLECT2_RC $?"
sec json2 cat /run/collect2.json

# ---- systemctl stop: the report is written
systemctl stop lockaudit.service
echo "@@STOP_RC $?"
sec show-run-stopped systemctl show -p Result -p ActiveState -p ExecMainStatus lockaudit.service
sec report cat /var/lib/lockaudit/report.json

# ---- dpkg -r: units stopped, pins detached, the textfile deleted (the initramfs trigger is left
# pending: tests/deb/run.sh checks it; mkinitramfs under TCG takes minutes)
dpkg --no-triggers -r lockaudit >/run/remove.log 2>&1
echo "@@REMOVE_RC $?"
sec remove cat /run/remove.log
echo "@@PINS_AFTER_REMOVE $(find /sys/fs/bpf -mindepth 1 -maxdepth 1 -printf '%f ')."
echo "@@UNITS_AFTER_REMOVE $(systemctl show -p Id -p LoadState -p ActiveState -p SubState \
	lockaudit-boot.service lockaudit.service lockaudit-metrics.service lockaudit-metrics.timer |
	grep . | tr '\n' ' ')"
echo "@@PROM_AFTER_REMOVE $(ls $prom 2>&1)"
sec at-removal cat /var/lib/lockaudit/at-removal.json

# ---- dpkg -i on the running system: the units start at installation
# (lockaudit-boot.service attaches now, lockaudit.service adopts)
dpkg --no-triggers -i /root/lockaudit.deb >/run/install.log 2>&1
echo "@@INSTALL_RC $?"
sec install cat /run/install.log
adopted 3
sec is-active-installed systemctl is-active lockaudit-boot.service lockaudit.service
sec show-boot-installed systemctl show -p Result -p ExecMainStatus -p ActiveState lockaudit-boot.service
echo "@@PINS_AFTER_INSTALL $(find /sys/fs/bpf -mindepth 1 -maxdepth 1 -printf '%f ')."
sec journal-installed sh -c 'journalctl -b -o short-monotonic --no-pager -u lockaudit-boot.service -u lockaudit.service | tail -n 30'
echo "@@DONE"
sync
systemctl --force --force poweroff

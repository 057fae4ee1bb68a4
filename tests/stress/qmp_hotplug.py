#!/usr/bin/env python3
"""QMP driver of tests/stress/hotplug.sh: wait for "@@READY hotplug" in the
console log, then CYCLES device_add/device_del cycles (waiting for each
DEVICE_DELETED), kinds alternating e1000e on rp1 / virtio-net-pci on rp2;
finally device_add a pci-testdev on rp3 (the guest's sentinel).
Prints "@@HOST_ADDS e1000e=N virtio=M sentinel=1" and timings.
Usage: qmp_hotplug.py SOCKET CONSOLE_LOG CYCLES [READY_TIMEOUT_S]"""
import json
import os
import socket
import sys
import time

sock_path, log_path, cycles = sys.argv[1], sys.argv[2], int(sys.argv[3])
ready_tmo = float(sys.argv[4]) if len(sys.argv) > 4 else 300
KINDS = [("e1000e", "rp1", {"romfile": ""}), ("virtio-net-pci", "rp2", {"romfile": ""})]


qmp = None  # (socket, file) once connected


def die(msg):
    print(f"qmp_hotplug: FAIL {msg}", flush=True)
    if qmp:  # still let the guest stop lockaudit and finish: plug the sentinel
        try:
            qmp[0].settimeout(10)
            qmp[1].write(json.dumps({"execute": "device_add", "arguments": {
                "driver": "pci-testdev", "id": "sentinel", "bus": "rp3"}}) + "\n")
            qmp[1].flush()
        except OSError:
            pass
    sys.exit(1)


t0 = time.time()
while True:
    try:
        if "@@READY hotplug" in open(log_path, errors="replace").read():
            break
    except FileNotFoundError:
        pass
    if time.time() - t0 > ready_tmo:
        die(f"guest not ready after {ready_tmo:.0f} s")
    time.sleep(0.2)
print(f"qmp_hotplug: guest ready after {time.time() - t0:.1f} s", flush=True)

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sock_path)
f = s.makefile("rw", encoding="utf-8", newline="\n")
qmp = (s, f)
events = []


def recv(timeout):
    s.settimeout(timeout)
    line = f.readline()
    if not line:
        die("QMP connection closed")
    return json.loads(line)


def cmd(name, args=None, timeout=30):
    msg = {"execute": name}
    if args:
        msg["arguments"] = args
    f.write(json.dumps(msg) + "\n")
    f.flush()
    while True:
        r = recv(timeout)
        if "event" in r:
            events.append(r)
            continue
        return r


def wait_deleted(dev_id, timeout=60):
    end = time.time() + timeout
    while True:
        for i, e in enumerate(events):
            if e["event"] == "DEVICE_DELETED" and e.get("data", {}).get("device") == dev_id:
                del events[i]
                return
        left = end - time.time()
        if left <= 0:
            die(f"no DEVICE_DELETED for {dev_id} after {timeout} s")
        try:
            r = recv(left)
        except socket.timeout:
            continue
        if "event" in r:
            events.append(r)


greeting = recv(30)
if "QMP" not in greeting:
    die(f"no QMP greeting: {greeting}")
r = cmd("qmp_capabilities")
if "return" not in r:
    die(f"qmp_capabilities: {r}")

adds = {"e1000e": 0, "virtio-net-pci": 0}
t1 = time.time()
for n in range(cycles):
    drv, bus, extra = KINDS[n % 2]
    dev_id = f"hp{n}"
    r = cmd("device_add", dict(driver=drv, id=dev_id, bus=bus, **extra))
    if "return" not in r:
        die(f"device_add {drv} {dev_id}: {r}")
    adds[drv] += 1
    for attempt in range(100):
        r = cmd("device_del", {"id": dev_id})
        if "return" in r:
            break
        time.sleep(0.1)  # native pciehp refuses device_del right after an add
    else:
        die(f"device_del {dev_id}: {r}")
    wait_deleted(dev_id)
    if (n + 1) % 50 == 0:
        el = time.time() - t1
        print(f"qmp_hotplug: {n + 1} cycles in {el:.1f} s ({60 * (n + 1) / el:.0f}/min)", flush=True)
el = time.time() - t1
r = cmd("device_add", {"driver": "pci-testdev", "id": "sentinel", "bus": "rp3"})
if "return" not in r:
    die(f"device_add pci-testdev: {r}")
print(f"@@HOST_ADDS e1000e={adds['e1000e']} virtio={adds['virtio-net-pci']} sentinel=1", flush=True)
print(f"@@HOST_CYCLES {cycles} {el:.1f} {60 * cycles / el:.0f}", flush=True)
print(f"qmp_hotplug: {cycles} cycles in {el:.1f} s = {60 * cycles / el:.0f} cycles/min", flush=True)

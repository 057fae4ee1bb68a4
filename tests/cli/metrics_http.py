#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""tests/cli/metrics_http.py METRICSSERVE A.txt B.txt - the HTTP server of
`lockaudit run --metrics` (user/metrics_http.c, through tests/cli/metricsserve)
fetched with urllib on 127.0.0.1 and [::1].

Prints one "ok   NAME" or "FAIL NAME: why" line per check (tests/cli/run.sh
counts them) and exits 1 if any failed. A.txt and B.txt are two metrics
texts; B.txt must be OpenMetrics (checked with prometheus_client's parser).
"""
import http.client
import subprocess
import sys
import threading
import urllib.error
import urllib.request

CT = "application/openmetrics-text; version=1.0.0; charset=utf-8"
failed = 0


def check(name, cond, why=""):
    global failed
    if cond:
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {why}")


def fetch(base, path, method="GET"):
    """(status, content type, body) of one request; errors as statuses"""
    req = urllib.request.Request(base + path, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()


class Server:
    def __init__(self, binary, addr):
        self.p = subprocess.Popen([binary, addr], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline().split()
        if len(line) != 2 or line[0] != "port":
            raise SystemExit(f"metricsserve {addr}: no port ({line})")
        self.port = int(line[1])

    def publish(self, path):
        self.p.stdin.write(f"publish {path}\n")
        self.p.stdin.flush()
        return self.p.stdout.readline().strip()

    def quit(self):
        self.p.stdin.write("quit\n")
        self.p.stdin.flush()
        return self.p.wait(timeout=10)


def main():
    binary, a_path, b_path = sys.argv[1:4]
    a = open(a_path, "rb").read()
    b = open(b_path, "rb").read()
    srv = Server(binary, "127.0.0.1:0")
    base = f"http://127.0.0.1:{srv.port}"

    st, ct, body = fetch(base, "/metrics")
    check("http: /metrics before the first snapshot is 503", st == 503,
          f"status {st}")

    check("http: publish A", srv.publish(a_path) == "ok")
    st, ct, body = fetch(base, "/metrics")
    check("http: GET /metrics is 200", st == 200, f"status {st}")
    check("http: Content-Type is OpenMetrics 1.0.0", ct == CT, repr(ct))
    check("http: the body is exactly the text published", body == a,
          f"{len(body)} bytes, want {len(a)}")

    st, ct, body = fetch(base, "/metrics", "HEAD")
    check("http: HEAD /metrics is 200 with no body",
          st == 200 and body == b"" and ct == CT, f"status {st}, {body[:40]}")
    for path in ("/", "/metric", "/metrics/", "/metrics/x", "/x/metrics"):
        st, ct, body = fetch(base, path)
        check(f"http: GET {path} is 404", st == 404, f"status {st}")
    st, ct, body = fetch(base, "/metrics?x=1")
    check("http: a query string still serves /metrics",
          st == 200 and body == a, f"status {st}")
    st, ct, body = fetch(base, "/metrics", "POST")
    check("http: POST /metrics is 405", st == 405, f"status {st}")
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    conn.request("DELETE", "/metrics")
    r = conn.getresponse()
    check("http: 405 names the methods allowed",
          r.status == 405 and r.getheader("Allow") == "GET, HEAD",
          f"{r.status} {r.getheader('Allow')}")
    r.read()
    conn.close()

    # many clients at once while the text is swapped: every body is one
    # whole text, A or B, never a mix (bounded: 8 threads x 25 requests)
    bodies, errors = [], []

    def client():
        for _ in range(25):
            try:
                s, c, data = fetch(base, "/metrics")
                bodies.append((s, data))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    swaps = 0
    while any(t.is_alive() for t in threads) and swaps < 400:
        srv.publish(b_path if swaps % 2 == 0 else a_path)
        swaps += 1
    for t in threads:
        t.join(timeout=60)
    whole = [d in (a, b) and s == 200 for s, d in bodies]
    check("http: 200 concurrent fetches while swapping texts, each whole",
          len(bodies) == 200 and all(whole) and not errors,
          f"{len(bodies)} fetched, {whole.count(False)} mixed or failed, "
          f"errors {errors[:2]}")
    check("http: both texts were seen during the swaps",
          {d for _, d in bodies} == {a, b},
          f"{swaps} swaps, {sum(d == a for _, d in bodies)} A")

    srv.publish(b_path)
    st, ct, body = fetch(base, "/metrics")
    check("http: after a swap the new text is served", body == b)
    try:
        from prometheus_client.openmetrics.parser import \
            text_string_to_metric_families
        fams = list(text_string_to_metric_families(body.decode()))
        check("http: the body parses as OpenMetrics", len(fams) > 0)
    except ImportError:
        check("http: the body parses as OpenMetrics", False,
              "python3-prometheus-client not installed (make deps)")
    except ValueError as e:
        check("http: the body parses as OpenMetrics", False, str(e))
    check("http: quit stops the server", srv.quit() == 0)
    try:
        fetch(base, "/metrics")
        check("http: nothing listens after stop", False, "still answers")
    except (urllib.error.URLError, ConnectionError):
        check("http: nothing listens after stop", True)

    # IPv6 loopback, where the host has it
    try:
        srv6 = Server(binary, "[::1]:0")
    except SystemExit as e:
        check("http: [::1] listens", False, str(e))
        return
    srv6.publish(a_path)
    st, ct, body = fetch(f"http://[::1]:{srv6.port}", "/metrics")
    check("http: [::1] serves /metrics", st == 200 and body == a,
          f"status {st}")
    srv6.quit()


main()
sys.exit(1 if failed else 0)

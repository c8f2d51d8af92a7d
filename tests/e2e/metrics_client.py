#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Misbehaving HTTP clients for e2e_metrics.sh, against genkand's /metrics.

  huge HOST PORT KIB        one request whose headers are KIB KiB: prints the
                            status line genkand answered, or "closed"
  idle HOST PORT N SECS     N connections send half a request and go quiet:
                            prints "closed C of N after T s" (C those genkand
                            dropped within SECS)
  trickle HOST PORT N SECS  N connections send half a request, then one more
                            header byte per second each for SECS: prints
                            "held H of N" (H still open at the end)
"""
import selectors
import socket
import sys
import time


def connect(host, port, n):
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        s.settimeout(2)
        try:
            s.connect((host, port))
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: genkan\r\nX-Slow: ")
            socks.append(s)
        except OSError:
            s.close()
    return socks


def huge(host, port, kib):
    s = socket.create_connection((host, port), timeout=5)
    req = b"GET /metrics HTTP/1.1\r\nHost: genkan\r\nX-Big: " + \
        b"a" * (kib * 1024) + b"\r\n\r\n"
    try:
        s.sendall(req)
    except OSError:
        pass  # genkand may close while we still send
    try:
        line = s.makefile("rb").readline().decode(errors="replace").strip()
    except OSError:
        line = ""
    print(line or "closed")


def idle(host, port, n, secs):
    socks = connect(host, port, n)
    sel = selectors.DefaultSelector()
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    t0 = time.monotonic()
    closed = 0
    while closed < len(socks) and time.monotonic() - t0 < secs:
        for key, _ in sel.select(timeout=0.5):
            try:
                data = key.fileobj.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                sel.unregister(key.fileobj)
                key.fileobj.close()
                closed += 1
    print("closed %d of %d after %.1f s" % (closed, len(socks),
                                             time.monotonic() - t0))


def trickle(host, port, n, secs):
    socks = connect(host, port, n)
    t0 = time.monotonic()
    while time.monotonic() - t0 < secs:
        for s in socks:
            try:
                s.send(b"x")
            except OSError:
                pass
        time.sleep(1)
    held = 0
    for s in socks:
        try:
            s.send(b"x")
            held += 1
        except OSError:
            pass
    print("held %d of %d" % (held, len(socks)))


def main():
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "huge":
        huge(host, port, int(sys.argv[4]))
    elif mode == "idle":
        idle(host, port, int(sys.argv[4]), float(sys.argv[5]))
    elif mode == "trickle":
        trickle(host, port, int(sys.argv[4]), float(sys.argv[5]))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()

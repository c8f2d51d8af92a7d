#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Slow and idle clients of genkand's ctl socket (e2e_ctl.sh).

  ctl_flood.py trickle SOCK N SECONDS OUT
      N connections, each sending one byte of a valid request every 4 to
      5 s (issue #13, bug 3); one the daemon closes is replaced at once.
  ctl_flood.py idle SOCK N SECONDS OUT
      N connections opened as fast as the daemon takes them, sending
      nothing, held until SECONDS have passed.

Both write OUT (JSON) at the end: connections opened, how many the daemon
closed and what it said (errno of its reply, or none), how many got a
real answer (a trickled request served: must be 0), and for trickle the
longest a connection lived after its first byte. The request framing is
written here from docs/ctl-protocol.md, not taken from genkan's code.
"""
import json
import os
import random
import select
import socket
import struct
import sys
import time

MAGIC = 0x474B4354


def request(seq):
    body = json.dumps({"cmd": "status"}).encode()
    return struct.pack("=IHHII", MAGIC, 1, 0, len(body), seq) + body


def reply_errno(data):
    """errno of a whole reply in data, 0 for ok, None if not whole."""
    if len(data) < 16:
        return None
    magic, _ver, _flags, ln, _seq = struct.unpack("=IHHII", data[:16])
    if magic != MAGIC or len(data) < 16 + ln:
        return None
    r = json.loads(data[16:16 + ln])
    return 0 if r.get("ok") else r.get("errno", -1)


class Conn:
    def __init__(self, path, seq):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(5)
        self.s.connect(path)
        self.s.setblocking(False)
        self.req = request(seq)
        self.off = 0
        self.first = None       # when its first byte went out
        self.next = time.monotonic() + random.uniform(0, 0.5)
        self.buf = b""


def closed(c, res, now):
    """Reads what c got; True (and res updated) once the daemon closed it."""
    while True:
        try:
            d = c.s.recv(65536)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            d = b""
        if d:
            c.buf += d
            continue
        e = reply_errno(c.buf)
        key = "none" if e is None else str(e)
        res["closed_by"][key] = res["closed_by"].get(key, 0) + 1
        if e == 0:
            res["served"] += 1
        if c.first is not None:
            held = int((now - c.first) * 1000)
            res["max_hold_ms"] = max(res.get("max_hold_ms", 0), held)
            if e == 110:
                res["min_cut_ms"] = min(res.get("min_cut_ms", held), held)
        c.s.close()
        return True


def trickle(path, n, secs, res):
    res.update(max_hold_ms=0, bytes_sent=0)
    end = time.monotonic() + secs
    conns = []
    seq = 1
    while time.monotonic() < end:
        while len(conns) < n:
            try:
                conns.append(Conn(path, seq))
                res["opened"] += 1
            except OSError as e:
                res["connect_errors"] += 1
                time.sleep(0.05)
                if time.monotonic() >= end:
                    break
            seq += 1
        now = time.monotonic()
        for c in list(conns):
            if closed(c, res, now):
                conns.remove(c)
                continue
            if now >= c.next and c.off < len(c.req):
                try:
                    c.s.send(c.req[c.off:c.off + 1])
                    res["bytes_sent"] += 1
                    if c.first is None:
                        c.first = now
                    c.off += 1
                except OSError:
                    pass    # closed: seen on the next read
                c.next = now + random.uniform(4.0, 5.0)
        rl = [c.s for c in conns]
        if rl:
            select.select(rl, [], [], 0.02)
        else:
            time.sleep(0.02)
    res["held_at_end"] = len(conns)
    now = time.monotonic()
    for c in conns:
        if c.first is not None:     # still trickling: held this long
            res["max_hold_ms"] = max(res["max_hold_ms"],
                                     int((now - c.first) * 1000))
        c.s.close()


def idle(path, n, secs, res):
    end = time.monotonic() + secs
    conns = []
    while len(conns) < n and time.monotonic() < end:
        try:
            conns.append(Conn(path, 0))
            res["opened"] += 1
        except OSError:
            res["connect_errors"] += 1
    res["open_s"] = round(secs - (end - time.monotonic()), 3)
    while time.monotonic() < end:
        now = time.monotonic()
        for c in list(conns):
            if closed(c, res, now):
                conns.remove(c)
        time.sleep(0.05)
    res["held_at_end"] = len(conns)
    for c in conns:
        c.s.close()


def main():
    mode, path, n, secs, out = sys.argv[1:6]
    res = {"mode": mode, "opened": 0, "connect_errors": 0, "served": 0,
           "closed_by": {}}
    {"trickle": trickle, "idle": idle}[mode](path, int(n), float(secs), res)
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(res, f)
    os.rename(tmp, out)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""genkanctl map calc: the RFC 7597 Appendix A example (expected values typed
from the RFC text), exit codes for bad input, and seeded random rules checked
against an independent MAP implementation written here from RFC 7597 §5/§6
with Python's ipaddress module (no code shared with dataplane/map_rule.c).

usage: test_map_calc.py /path/to/genkanctl
"""
import ipaddress
import json
import random
import subprocess
import sys

GK = sys.argv[1]
failures = []


def run(*args):
    p = subprocess.run([GK, *args], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


RULE = ["--ipv6-prefix", "2001:db8::/40", "--ipv4-prefix", "192.0.2.0/24",
        "--ea-bits", "16", "--psid-offset", "6"]
# RFC 7597 Appendix A, Examples 1 and 2, as printed in the RFC.
RFC_CE = ipaddress.IPv6Address("2001:db8:0012:3400:0000:c000:0212:0034")
RFC_FIRST = [(1232, 1235), (2256, 2259)]
RFC_LAST = [(63696, 63699), (64720, 64723)]


def rfc_example():
    rc, out, err = run("map", "calc", *RULE, "--end-user-prefix", "2001:db8:0012:3400::/56")
    check(rc == 0, f"rfc plain rc {rc} {err}")
    lines = out.splitlines()
    check(lines[0] == "ipv4 192.0.2.18", f"rfc plain ipv4: {lines[:1]}")
    check(lines[1] == "psid 0x34 (52), psid_len 8, offset 6", f"rfc plain psid: {lines[1:2]}")
    check(lines[2].startswith("ce_ipv6 ") and
          ipaddress.IPv6Address(lines[2].split()[1]) == RFC_CE, f"rfc plain ce: {lines[2:3]}")
    check(lines[3].startswith("end_user_prefix ") and
          ipaddress.IPv6Network(lines[3].split()[1]) ==
          ipaddress.IPv6Network("2001:db8:0012:3400::/56"), f"rfc plain eup: {lines[3:4]}")
    check(lines[4] == "ports 252 in 63 ranges", f"rfc plain count: {lines[4:5]}")
    rng = [tuple(int(x) for x in l.split("-")) for l in lines[5:]]
    check(len(rng) == 63, f"rfc plain {len(rng)} ranges")
    check(rng[:2] == RFC_FIRST and rng[-2:] == RFC_LAST, f"rfc plain ranges {rng[:2]} {rng[-2:]}")
    check(all(b - a == 3 for a, b in rng), "rfc plain ranges of 4")

    rc, out, err = run("-j", "map", "calc", *RULE, "--end-user-prefix", "2001:db8:0012:3400::/56")
    check(rc == 0, f"rfc json rc {rc} {err}")
    j = json.loads(out)
    check(j["ipv4"] == "192.0.2.18", "rfc json ipv4")
    check(j["psid"] == 0x34 and j["psid_len"] == 8 and j["psid_offset"] == 6, "rfc json psid")
    check(ipaddress.IPv6Address(j["ce_ipv6"]) == RFC_CE, "rfc json ce")
    check(ipaddress.IPv6Network(j["end_user_prefix"]) ==
          ipaddress.IPv6Network("2001:db8:0012:3400::/56"), "rfc json eup")
    pr = [tuple(x) for x in j["port_ranges"]]
    check(len(pr) == 63 and pr[:2] == RFC_FIRST and pr[-2:] == RFC_LAST, "rfc json ranges")

    # Example 2: the BR view of 192.0.2.18 port 1232
    rc, out, err = run("-j", "map", "calc", *RULE, "--ipv4", "192.0.2.18", "--port", "1232")
    check(rc == 0, f"rfc br rc {rc} {err}")
    j = json.loads(out)
    check(j["psid"] == 0x34 and ipaddress.IPv6Address(j["ce_ipv6"]) == RFC_CE, "rfc br")


def bad_inputs():
    eup = ["--end-user-prefix", "2001:db8:12:3400::/56"]
    cases = [
        (2, [], "no options"),
        (2, ["--ipv6-prefix", "2001:db8::/40", "--ipv4-prefix", "192.0.2.0/24",
             "--ea-bits", "16"] + eup, "missing --psid-offset"),
        (2, RULE, "neither view"),
        (2, RULE + eup + ["--ipv4", "192.0.2.18", "--port", "1232"], "both views"),
        (2, RULE + ["--ipv4", "192.0.2.18"], "ipv4 without port"),
        (2, RULE + ["--ipv4", "192.0.2.18", "--port", "70000"], "port range"),
        (2, RULE + ["--ipv4", "192.0.2.x", "--port", "1"], "bad ipv4"),
        (2, ["--ipv6-prefix", "2001:db8::", "--ipv4-prefix", "192.0.2.0/24",
             "--ea-bits", "16", "--psid-offset", "6"] + eup, "prefix without length"),
        (2, ["--ipv6-prefix", "2001:db8::/40", "--ipv4-prefix", "192.0.2.0/24",
             "--ea-bits", "sixteen", "--psid-offset", "6"] + eup, "bad number"),
        (2, RULE + eup + ["--frobnicate"], "unknown option"),
        (2, RULE + eup + ["extra"], "extra argument"),
        (1, RULE + ["--end-user-prefix", "2001:db9:12:3400::/56"], "eup outside rule"),
        (1, RULE + ["--end-user-prefix", "2001:db8:12::/48"], "eup too short"),
        (1, RULE + ["--ipv4", "198.51.100.1", "--port", "1232"], "ipv4 outside rule"),
        (1, RULE + ["--ipv4", "192.0.2.18", "--port", "80"], "excluded port"),
        (1, RULE + ["--psid-len", "7"] + eup, "inconsistent psid-len"),
        (1, ["--ipv6-prefix", "2001:db8::/56", "--ipv4-prefix", "192.0.2.0/24",
             "--ea-bits", "16", "--psid-offset", "6"] + eup, "v6 + ea > 64"),
    ]
    for want, args, what in cases:
        rc, out, err = run("map", "calc", *args)
        lines = err.strip().splitlines()
        check(rc == want, f"bad input '{what}': rc {rc}, want {want}: {err.strip()}")
        check(out == "", f"bad input '{what}': printed to stdout")
        check(len(lines) == 1 and lines[0].startswith("genkanctl: map calc: "),
              f"bad input '{what}': want one-line reason, got {err!r}")
    rc, _, _ = run("map")
    check(rc == 2, "map without subcommand")
    rc, _, _ = run("map", "show-me")
    check(rc == 2, "map unknown subcommand")


# ---- independent oracle: RFC 7597 §5.1, §5.2, §6 with integers ----

def oracle_ce(r6, l6, r4, l4, o, a, draft03, eup_int, eup_len):
    p = 32 - l4
    k = max(o - p, 0)
    ea = (eup_int >> (128 - l6 - o)) & ((1 << o) - 1)
    if o >= p:
        suffix, psid, v4len = ea >> k, ea & ((1 << k) - 1), 32
        v4 = int(r4) | suffix
    else:
        suffix, psid, v4len = ea << (p - o), 0, l4 + o
        v4 = int(r4) | suffix
    return finish(l6, o, a, k, draft03, int(r6), ea, v4, v4len, psid)


def finish(l6, o, a, k, draft03, r6_int, ea, v4, v4len, psid):
    prefix = r6_int | (ea << (128 - l6 - o))          # r6 bits, EA bits, zeros
    if draft03:
        iid = (v4 << 24) | (psid << 8)                 # 0x00 | v4 | psid | 0x00
    else:
        iid = (v4 << 16) | psid                        # 16 zero bits | v4 | psid
    ce = ipaddress.IPv6Address(prefix | iid)
    if k == 0:
        ranges = [(0, 65535)]
    else:
        m = 16 - a - k
        ranges = [((A << (16 - a)) | (psid << m), (A << (16 - a)) | (psid << m) | ((1 << m) - 1))
                  for A in range(1 if a else 0, 1 << a)]
    return {"ipv4": str(ipaddress.IPv4Address(v4)), "ipv4_plen": v4len, "psid": psid,
            "psid_len": k, "ce_ipv6": ce, "port_ranges": ranges}


def oracle_br(r6, l6, r4, l4, o, a, draft03, v4, port):
    p = 32 - l4
    k = max(o - p, 0)
    suffix = int(v4) & ((1 << p) - 1)
    if o >= p:
        psid = (port >> (16 - a - k)) & ((1 << k) - 1)
        ea = (suffix << k) | psid
        return finish(l6, o, a, k, draft03, int(r6), ea, int(v4), 32, psid)
    ea = suffix >> (p - o)
    v4m = int(v4) & ~((1 << (p - o)) - 1) & 0xffffffff
    return finish(l6, o, a, k, draft03, int(r6), ea, v4m, l4 + o, 0)


def compare(j, want, what):
    got = {"ipv4": j["ipv4"], "ipv4_plen": j["ipv4_plen"], "psid": j["psid"],
           "psid_len": j["psid_len"], "ce_ipv6": ipaddress.IPv6Address(j["ce_ipv6"]),
           "port_ranges": [tuple(x) for x in j["port_ranges"]]}
    for key in want:
        check(got[key] == want[key], f"{what}: {key} {got[key]!r} != oracle {want[key]!r}"
              if key != "port_ranges" else f"{what}: port ranges differ")


def random_rules(n, seed):
    rnd = random.Random(seed)
    done = 0
    while done < n:
        l4 = rnd.randint(8, 32)
        p = 32 - l4
        a = rnd.randint(0, 8)
        o = rnd.randint(max(p - 4, 0), min(p + 16 - a, 48))
        if o > 48:
            continue
        l6 = rnd.randint(16, 64 - o)
        r6 = ipaddress.IPv6Network((rnd.getrandbits(128) >> (128 - l6) << (128 - l6), l6))
        r4 = ipaddress.IPv4Network((rnd.getrandbits(32) >> (32 - l4) << (32 - l4) if l4 else 0, l4))
        draft03 = rnd.random() < 0.3
        k = max(o - p, 0)
        args = ["--ipv6-prefix", str(r6), "--ipv4-prefix", str(r4), "--ea-bits", str(o),
                "--psid-offset", str(a)]
        if draft03:
            args.append("--draft03")
        if rnd.random() < 0.3:
            args += ["--psid-len", str(k)]
        # CE view
        eup_len = rnd.randint(l6 + o, 64)
        host = rnd.getrandbits(128 - l6) & ~((1 << (128 - eup_len)) - 1)
        eup = int(r6.network_address) | host
        eup_s = f"{ipaddress.IPv6Address(eup)}/{eup_len}"
        rc, out, err = run("-j", "map", "calc", *args, "--end-user-prefix", eup_s)
        what = f"{' '.join(args)} --end-user-prefix {eup_s}"
        check(rc == 0, f"{what}: rc {rc} {err.strip()}")
        if rc == 0:
            want = oracle_ce(r6.network_address, l6, r4.network_address, l4, o, a,
                             draft03, eup, eup_len)
            compare(json.loads(out), want, what)
            # BR view from an address and a port of that CE
            v4 = int(ipaddress.IPv4Address(want["ipv4"])) | \
                (rnd.getrandbits(32 - want["ipv4_plen"]) if want["ipv4_plen"] < 32 else 0)
            lo, hi = rnd.choice(want["port_ranges"])
            port = rnd.randint(lo, hi)
            v4s = str(ipaddress.IPv4Address(v4))
            rc, out, err = run("-j", "map", "calc", *args, "--ipv4", v4s, "--port", str(port))
            what = f"{' '.join(args)} --ipv4 {v4s} --port {port}"
            check(rc == 0, f"{what}: rc {rc} {err.strip()}")
            if rc == 0:
                wb = oracle_br(r6.network_address, l6, r4.network_address, l4, o, a,
                               draft03, ipaddress.IPv4Address(v4), port)
                compare(json.loads(out), wb, what)
                check(wb["ce_ipv6"] == want["ce_ipv6"], f"{what}: oracle CE/BR disagree")
        done += 1
        if len(failures) > 20:
            break


rfc_example()
bad_inputs()
random_rules(300, 7597)
if failures:
    print(f"{len(failures)} failure(s)", file=sys.stderr)
    sys.exit(1)
print("map calc: all checks passed")

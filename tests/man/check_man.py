#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The man pages match the code.

Every config key the parser accepts (read from its key tables in
ctl/config/*.c) is documented in its section of genkan.conf(5) and every
documented key is one the parser accepts; every genkanctl command, alias,
subcommand and keyword (from `genkanctl help`, each command's usage text
and the strings ctl/genkanctl/*.c compares its arguments with) appears in
genkanctl(8); every genkand option (from --help and its option table) in
genkand(8). The man pages checked are the ones the build generated.

--selftest shows that each check fails on a deliberate drift: a key added
to a parser table, a key dropped from genkan.conf(5), a subcommand added
to genkanctl's source.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

# Parser key tables -> the section whose keys they are. A new table that
# is not listed here fails the check: say which section it serves.
TABLES = {
    ("config.c", "genkan_keys"): "genkan",
    ("config.c", "port_keys"): "port",
    ("config.c", "mape_keys"): "mape",
    ("config.c", "rule_keys"): "map-rule",
    ("config_l4.c", "key_names"): "l4-service",
    ("config_nat.c", "nat_keys"): "nat",
    ("config_nat.c", "map_keys"): "nat-map",
    ("config_wg.c", "iface_keys"): "wireguard",
    ("config_wg.c", "peer_keys"): "wireguard-peer",
    ("config_dpdk.c", "key_names"): "dpdk",
}
# Sections that compare the key by hand instead of a table.
STRCMP_KEYS = {"config_metrics.c": "metrics"}

TABLE_RE = re.compile(
    r"static const (?:struct \w+|char \*const) (\w+)\[[^\]]*\]\s*=\s*\{(.*?)\n\};",
    re.S)
ENTRY_RE = re.compile(r'(?:\{\s*|=\s*)"([^"]+)"')


def parser_keys(cfgdir):
    """{section: set(keys)} from the parser's sources, and errors."""
    keys, errs = {}, []
    for fn in sorted(os.listdir(cfgdir)):
        if not fn.endswith(".c"):
            continue
        src = open(os.path.join(cfgdir, fn), encoding="utf-8").read()
        for m in TABLE_RE.finditer(src):
            name, body = m.group(1), m.group(2)
            if not re.search(r"keys?$|key_names$", name):
                continue	# value tables (xdp_mode_names, ...)
            sec = TABLES.get((fn, name))
            if sec is None:
                errs.append(f"{fn}: key table {name} is not known to "
                            "check_man.py: add it to TABLES with its section")
                continue
            found = ENTRY_RE.findall(body)
            if not found:
                errs.append(f"{fn}: key table {name}: no keys read")
            keys.setdefault(sec, set()).update(found)
        if fn in STRCMP_KEYS:
            found = re.findall(r'strcmp\(key, "([^"]+)"\)', src)
            if not found:
                errs.append(f"{fn}: no strcmp(key, ...) keys read")
            keys.setdefault(STRCMP_KEYS[fn], set()).update(found)
    for (fn, name), sec in TABLES.items():
        if sec not in keys:
            errs.append(f"{fn}: key table {name} ({sec}) not found")
    src = open(os.path.join(cfgdir, "config.c"), encoding="utf-8").read()
    sections = set(re.findall(r'strcmp\(inner, "([^"]+)"\)', src))
    if len(sections) < 5:
        errs.append("config.c: open_section's section names not read")
    for s in sections - set(keys):
        errs.append(f"config.c: section [{s}] has no key table known to "
                    "check_man.py")
    return keys, errs


def roff_text(s):
    """Roff as plain text, font changes kept as * (bold) markers."""
    s = s.replace("\\-", "-").replace("\\&", "").replace("\\(aq", "'")
    s = s.replace("\\fB", "*").replace("\\fR", "*").replace("\\fI", "")
    return s


def conf_sections(roff):
    """{section kind: set(keys documented as `*key* =` lines)}."""
    out, cur = {}, None
    for line in roff.splitlines():
        m = re.match(r"\.SS \[([\w-]+)", line)
        if m:
            cur = m.group(1)
            out.setdefault(cur, set())
            continue
        if line.startswith(".SH"):
            cur = None
            continue
        m = re.match(r"\\fB([\w-]+)\\fR =", line)
        if m and cur:
            out[cur].add(m.group(1))
    return out


def check_conf(keys, roff, errs):
    doc = conf_sections(roff)
    for sec in sorted(keys):
        if sec not in doc:
            errs.append(f"genkan.conf(5): no section [{sec}]")
            continue
        for k in sorted(keys[sec] - doc[sec]):
            errs.append(f"genkan.conf(5): [{sec}] key '{k}' accepted by the "
                        "parser is not documented")
        for k in sorted(doc[sec] - keys[sec]):
            errs.append(f"genkan.conf(5): [{sec}] documents '{k}', which the "
                        "parser does not accept")
    for sec in sorted(set(doc) - set(keys)):
        errs.append(f"genkan.conf(5): section [{sec}] is not a parser section")


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    return r.stdout + r.stderr


def ctl_words(ctl, ctldir, errs):
    """Commands, (command, subcommand) pairs and keywords of genkanctl."""
    helptxt = run([ctl, "help"])
    cmds = re.findall(r"^  ([a-z][\w-]*) ", helptxt.split("commands:", 1)[-1],
                      re.M)
    if len(cmds) < 8:
        errs.append("genkanctl help: command list not read")
    src = "".join(open(os.path.join(ctldir, f), encoding="utf-8").read()
                  for f in sorted(os.listdir(ctldir)) if f.endswith(".c"))
    m = re.search(r"\} aliases\[\] = \{(.*?)\n\};", src, re.S)
    aliases = re.findall(r'\{ "([\w-]+)", "[\w-]+" \}', m.group(1)) if m else []
    if not m:
        errs.append("ctl/genkanctl: aliases table not read")
    pairs, words = set(), set()
    sock = "/nonexistent/genkan-check-man.sock"
    for c in cmds:
        usage = run([ctl, "-t", "200", "-s", sock, c])
        inside = False	# a usage line's continuation lines
        for line in usage.splitlines():
            u = re.search(rf"genkanctl (?:\[[^\]]*\] )*{c} (\S+)(.*)", line)
            if u:
                inside, rest = True, u.group(2)
                for sub in u.group(1).split("|"):
                    if re.fullmatch(r"[a-z][\w-]*", sub):
                        pairs.add((c, sub))
            elif inside and line[:1].isspace() and "genkanctl" not in line:
                rest = line
            else:
                inside = False
                continue
            for w in re.findall(r"(?:^|[\s\[|(])(--?[a-z][\w-]*|[a-z][\w-]*)"
                                r"(?=[\s\]|)]|$)", rest):
                words.add(w)
    # What the code compares arguments with, usage text or not.
    for w in re.findall(r'strcmp\((?:argv\[\w+\]|sub|k|o), "([^"]+)"\)', src):
        words.add(w)
    for w in re.findall(r'\{ "([\w-]+)", (?:required|no)_argument', src):
        words.add("--" + w)
    words.update(re.findall(r'"(--[a-z][\w-]*)"', src))
    return cmds, aliases, pairs, words


def check_ctl(cmds, aliases, pairs, words, roff, errs):
    text = roff_text(roff)
    entries = [l for l in text.splitlines() if l.startswith("*")]
    for c in cmds + aliases:
        if not any(re.match(rf"\*{re.escape(c)}[* ]", l) or
                   re.match(rf"\*[\w-]+\*, \*{re.escape(c)}\*", l)
                   for l in entries):
            errs.append(f"genkanctl(8): command '{c}' has no entry")
    for c, s in sorted(pairs):
        if not any(re.match(rf"\*{re.escape(c)} {re.escape(s)}\b", l)
                   for l in entries):
            errs.append(f"genkanctl(8): subcommand '{c} {s}' has no entry")
    for w in sorted(words):
        if not re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text):
            errs.append(f"genkanctl(8): '{w}' (genkanctl accepts it) is "
                        "not mentioned")


def check_genkand(gkd, srcfile, roff, errs):
    text = roff_text(roff)
    opts = set(re.findall(r"(?:^|\s)(--?[a-zA-Z][\w-]*)", run([gkd, "--help"])))
    src = open(srcfile, encoding="utf-8").read()
    opts |= {"--" + o for o in
             re.findall(r'\{ "([\w-]+)", (?:required|no)_argument', src)}
    if len(opts) < 8:
        errs.append("genkand: options not read")
    for o in sorted(opts):
        if not re.search(rf"\*{re.escape(o)}\*", text):
            errs.append(f"genkand(8): option '{o}' is not documented")


def check(src, ctl, gkd, man, errs):
    keys, e = parser_keys(os.path.join(src, "ctl/config"))
    errs += e
    check_conf(keys, open(man["genkan.conf.5"], encoding="utf-8").read(), errs)
    cmds, aliases, pairs, words = ctl_words(ctl, os.path.join(
        src, "ctl/genkanctl"), errs)
    check_ctl(cmds, aliases, pairs, words,
              open(man["genkanctl.8"], encoding="utf-8").read(), errs)
    check_genkand(gkd, os.path.join(src, "ctl/genkand/genkand.c"),
                  open(man["genkand.8"], encoding="utf-8").read(), errs)
    return sum(len(v) for v in keys.values()), len(cmds), len(pairs)


def selftest(src, ctl, gkd, man):
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        def tree():
            t = os.path.join(tmp, "src")
            shutil.rmtree(t, ignore_errors=True)
            for d in ("ctl/config", "ctl/genkanctl", "ctl/genkand"):
                shutil.copytree(os.path.join(src, d), os.path.join(t, d))
            return t

        def expect(name, t, m, needle):
            nonlocal ok
            errs = []
            check(t, ctl, gkd, m, errs)
            hit = [e for e in errs if needle in e]
            print(f"selftest {name}: {'caught' if hit else 'MISSED'}"
                  f"{': ' + hit[0] if hit else ''}")
            ok = ok and bool(hit)

        t = tree()
        p = os.path.join(t, "ctl/config/config.c")
        s = open(p).read()
        s2 = s.replace('{ "instance", set_instance },',
                       '{ "instance", set_instance },\n'
                       '\t[K_INSTANCE] = { "selftest_key", set_instance },', 1)
        assert s2 != s
        open(p, "w").write(s2)
        expect("key added to [genkan]", t, man, "'selftest_key'")

        t = tree()
        p = os.path.join(t, "ctl/config/config_wg.c")
        s = open(p).read()
        s2 = s.replace('{ "return_path", WGP_RETURN_PATH },',
                       '{ "return_path", WGP_RETURN_PATH },\n'
                       '\t{ "SelftestPeerKey", WGP_RETURN_PATH },', 1)
        assert s2 != s
        open(p, "w").write(s2)
        expect("key added to [wireguard-peer]", t, man, "'SelftestPeerKey'")

        t = tree()
        m2 = dict(man)
        roff = open(man["genkan.conf.5"]).read()
        cut = re.sub(r"\\fBhold_down\\fR =.*?\n(?=\.P)", "", roff, 1, re.S)
        assert cut != roff
        m2["genkan.conf.5"] = os.path.join(tmp, "genkan.conf.5")
        open(m2["genkan.conf.5"], "w").write(cut)
        expect("hold_down dropped from genkan.conf(5)", t, m2, "'hold_down'")

        t = tree()
        p = os.path.join(t, "ctl/genkanctl/cli_l4.c")
        s = open(p).read()
        s2 = s.replace('if (!strcmp(argv[1], "flows"))',
                       'if (!strcmp(argv[1], "selftest-sub"))\n\t\treturn 0;\n'
                       '\tif (!strcmp(argv[1], "flows"))', 1)
        assert s2 != s
        open(p, "w").write(s2)
        expect("subcommand added to genkanctl", t, man, "'selftest-sub'")
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("srcroot")
    ap.add_argument("--genkanctl", required=True)
    ap.add_argument("--genkand", required=True)
    ap.add_argument("--selftest", action="store_true")
    ap.add_argument("man", nargs=3, help="built genkand.8 genkanctl.8 genkan.conf.5")
    a = ap.parse_args()
    man = {os.path.basename(p): p for p in a.man}
    if set(man) != {"genkand.8", "genkanctl.8", "genkan.conf.5"}:
        sys.exit(f"expected genkand.8, genkanctl.8, genkan.conf.5: {a.man}")
    if a.selftest:
        sys.exit(0 if selftest(a.srcroot, a.genkanctl, a.genkand, man) else 1)
    errs = []
    nk, nc, ns = check(a.srcroot, a.genkanctl, a.genkand, man, errs)
    for e in errs:
        print(e)
    if errs:
        sys.exit(1)
    print(f"man pages match the code: {nk} config keys, {nc} commands, "
          f"{ns} subcommands")


if __name__ == "__main__":
    main()

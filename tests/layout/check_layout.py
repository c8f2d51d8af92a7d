#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The layer rules of docs/architecture.md, checked on every #include.

Per-folder include paths (each folder's meson.build) already make most
violations a compile error; this catches what they cannot express and
guards the include paths themselves:

  bpf/                  only include/genkan and its own headers
  lib/, lib/wg/         neither dataplane/ nor ctl/
  dataplane/core        core only
  dataplane/fib         core, fib
  dataplane/backend     core, backend
  dataplane/stage/X     core, fib, lib/ (and from lib/wg only messages.h), X
  dataplane/worker      core, fib, any stage, lib/, lib/wg/messages.h
  ctl/proto             proto
  ctl/config            config, lib/
  ctl/genkanctl         proto, config, lib/, genkanctl  (never dataplane/)
  ctl/genkand           anything but genkanctl
Also: only ctl/genkand's meson.build links the data plane, and the worker
loop (dataplane/worker/worker.c) names no feature.

Usage: check_layout.py SRCROOT        (exit 1 on a violation)
       check_layout.py SRCROOT --selftest
"""
import os
import re
import sys

INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
GENERATED = re.compile(r'(^gk_config\.h$|\.skel\.h$|fixtures\.h$)')
FEATURES = re.compile(r'\b\w*(mape|napt|wnat|wgce|wgp|wg_|_wg|l4svc)\w*\b')

LAYER_RULES = {
    'bpf': {'bpf'},
    'lib': {'lib'},
    'lib/wg': {'lib/wg'},
    'dataplane/core': {'dataplane/core'},
    'dataplane/fib': {'dataplane/core', 'dataplane/fib'},
    'dataplane/backend': {'dataplane/core', 'dataplane/backend'},
    'dataplane/worker': {'dataplane/core', 'dataplane/fib', 'lib',
                         'lib/wg:messages.h', 'dataplane/stage/*',
                         'dataplane/worker'},
    'ctl/proto': {'ctl/proto'},
    'ctl/config': {'ctl/config', 'lib', 'lib/wg'},
    'ctl/genkanctl': {'ctl/proto', 'ctl/config', 'lib', 'lib/wg',
                      'ctl/genkanctl'},
    'ctl/genkand': {'*', '!ctl/genkanctl'},
}
STAGE_RULE = {'dataplane/core', 'dataplane/fib', 'lib', 'lib/wg:messages.h'}
DATAPLANE_LIBS = ('gkdp_dep', 'core_dep', 'fib_dep', 'backend_dep',
                  'worker_dep', 'l3_dep', 'mape_dep', 'napt_dep', 'wgdp_dep')


def folder_of(rel):
    d = os.path.dirname(rel)
    if d.startswith('include/'):
        return 'include'
    return d


def rules_for(folder):
    if folder.startswith('dataplane/stage/'):
        return STAGE_RULE | {folder}
    return LAYER_RULES.get(folder)


def allowed(src_folder, hdr_folder, hdr_name):
    if hdr_folder == 'include' or hdr_folder == src_folder:
        return True
    rules = rules_for(src_folder)
    if rules is None:
        return True     # tests, bench: see everything
    if '!' + hdr_folder in rules:
        return False
    if '*' in rules:
        return True
    if hdr_folder in rules or hdr_folder + ':' + hdr_name in rules:
        return True
    if hdr_folder.startswith('dataplane/stage/') and 'dataplane/stage/*' in rules:
        return True
    return False


def scan(root, files):
    """files: {relpath: text}. Returns a list of violations."""
    headers = {}
    for rel in files:
        if rel.endswith('.h'):
            headers.setdefault(os.path.basename(rel), []).append(rel)
    bad = []
    for rel, text in sorted(files.items()):
        src = folder_of(rel)
        for name in INC.findall(text):
            base = os.path.basename(name)
            if '/' in name and not name.startswith('genkan/'):
                bad.append(f'{rel}: #include "{name}": bare names only, '
                           'the folder\'s include path says where')
                continue
            if name.startswith('genkan/') or GENERATED.search(base):
                continue
            cands = [h for h in headers.get(base, [])
                     if folder_of(h) == src or not h.startswith('bpf/')
                     or src == 'bpf']
            if not cands:
                bad.append(f'{rel}: #include "{name}": no such header')
                continue
            if not any(allowed(src, folder_of(h), base) for h in cands):
                bad.append(f'{rel}: #include "{name}" ({folder_of(cands[0])}) '
                           f'breaks the layer rule of {src}')
    return bad


def meson_rules(files):
    bad = []
    for rel, text in files.items():
        if not rel.endswith('meson.build') or not rel.startswith('ctl/'):
            continue
        if rel.startswith('ctl/genkand/') or rel == 'ctl/meson.build':
            continue
        for dep in DATAPLANE_LIBS:
            if re.search(r'\b' + dep + r'\b', text):
                bad.append(f'{rel}: links the data plane ({dep}); only '
                           'ctl/genkand may')
    return bad


def worker_rule(files):
    text = files.get('dataplane/worker/worker.c', '')
    code = re.sub(r'/\*.*?\*/|//[^\n]*', '', text, flags=re.S)
    hits = sorted(set(m.group(0) for m in FEATURES.finditer(code)))
    return [f'dataplane/worker/worker.c names a feature: {h} (register a '
            'stage in stages.c instead)' for h in hits]


def load(root):
    files = {}
    for top in ('bpf', 'lib', 'dataplane', 'ctl', 'include'):
        for d, _, names in os.walk(os.path.join(root, top)):
            for n in names:
                if n.endswith(('.c', '.h')) or n == 'meson.build':
                    p = os.path.join(d, n)
                    with open(p, encoding='utf-8') as f:
                        files[os.path.relpath(p, root)] = f.read()
    return files


def check(files):
    return scan(None, files) + meson_rules(files) + worker_rule(files)


def selftest(files):
    """Each injected violation must be caught; the tree itself is clean."""
    cases = {
        'stage includes a stage': ('dataplane/stage/l3/zz.c',
                                   '#include "napt.h"\n'),
        'stage includes the worker': ('dataplane/stage/napt/zz.c',
                                      '#include "worker.h"\n'),
        'core includes fib': ('dataplane/core/zz.c', '#include "lpm.h"\n'),
        'backend includes a stage': ('dataplane/backend/zz.c',
                                     '#include "l3fwd.h"\n'),
        'dataplane includes ctl': ('dataplane/fib/zz.c',
                                   '#include "config.h"\n'),
        'stage includes noise.h': ('dataplane/stage/wg/zz.c',
                                   '#include "noise.h"\n'),
        'lib includes dataplane': ('lib/zz.c', '#include "pkt.h"\n'),
        'path include': ('dataplane/core/zz.c',
                         '#include "dataplane/core/pkt.h"\n'),
        'genkanctl includes dataplane': ('ctl/genkanctl/zz.c',
                                         '#include "worker.h"\n'),
        'genkanctl links dataplane': ('ctl/genkanctl/meson.build',
                                      files.get('ctl/genkanctl/meson.build', '')
                                      + '\nx = [gkdp_dep]\n'),
        'worker names a feature': ('dataplane/worker/worker.c',
                                   files.get('dataplane/worker/worker.c', '')
                                   + '\nvoid f(void) { gk_mape_ce_burst(); }\n'),
    }
    base = check(files)
    ok = not base
    for what, (rel, text) in cases.items():
        f = dict(files)
        f[rel] = text
        caught = len(check(f)) > len(base)
        print(f'{"ok  " if caught else "MISS"} selftest: {what}')
        ok &= caught
    return ok


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else '.'
    files = load(root)
    if '--selftest' in sys.argv:
        good = selftest(files)
        print('1 passed, 0 failed' if good else '0 passed, 1 failed')
        return 0 if good else 1
    bad = check(files)
    for b in bad:
        print(b)
    print(f'{len(files)} files: {len(bad)} layout violation(s)')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Small JSON reader for the lab shell scripts (no jq dependency).

  jget.py get FILE PATH            value at a dotted path, NA if absent
  jget.py delta BEFORE AFTER PATH  numeric difference, NA if absent in either
  jget.py mbps IPERF3_JSON         receiver Mbit/s of an iperf3 -J run
  jget.py sum FILE PATH            sum of the numbers under PATH (dict or list)
"""
import json
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def walk(doc, path):
    for key in path.split('.') if path else []:
        if isinstance(doc, list):
            doc = doc[int(key)]
        else:
            doc = doc[key]
    return doc


def get(path, dotted):
    try:
        return walk(load(path), dotted)
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None


def total(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, dict):
        v = list(v.values())
    if isinstance(v, list):
        s = 0
        for x in v:
            t = total(x)
            if t is None:
                return None
            s += t
        return s
    return None


def show(v):
    if v is None:
        print('NA')
    elif isinstance(v, float) and v.is_integer():
        print(int(v))
    elif isinstance(v, (dict, list)):
        print(json.dumps(v))
    else:
        print(v)


def main(argv):
    cmd = argv[1]
    if cmd == 'get':
        show(get(argv[2], argv[3]))
    elif cmd == 'sum':
        v = get(argv[2], argv[3])
        show(None if v is None else total(v))
    elif cmd == 'delta':
        a, b = get(argv[2], argv[4]), get(argv[3], argv[4])
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            show(b - a)
        else:
            show(None)
    elif cmd == 'mbps':
        v = get(argv[2], 'end.sum_received.bits_per_second')
        print('NA' if v is None else '%.1f' % (v / 1e6))
    else:
        sys.exit('unknown command ' + cmd)


if __name__ == '__main__':
    main(sys.argv)

#!/usr/bin/env bash
# Run genkan's whole test suite and print one closing "N passed, M failed"
# line. $1: normal build dir, $2: ASan/UBSan build dir (unit suite only).
set -uo pipefail
build=${1:-build}
asan=${2:-build-asan}

rc=0
echo "== tests: $build (unit, bpf, afxdp, netns, e2e)"
meson test -C "$build" --print-errorlogs --num-processes 1 || rc=1
echo "== tests: $asan (unit suite under ASan+UBSan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	meson test -C "$asan" --suite unit --print-errorlogs || rc=1

# Tally both runs from meson's machine-readable logs.
/usr/bin/python3 - "$build" "$asan" <<'PY'
import json, sys
passed = failed = skipped = 0
for d in sys.argv[1:]:
    try:
        with open(f"{d}/meson-logs/testlog.json") as f:
            for line in f:
                r = json.loads(line)
                res = r.get("result")
                if res in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                elif res == "SKIP":
                    skipped += 1
                else:
                    failed += 1
    except FileNotFoundError:
        failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $rc

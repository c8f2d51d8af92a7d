#!/usr/bin/env bash
# Run genkan's whole test suite and print one closing "N passed, M failed"
# line. $1: normal build dir, $2: ASan/UBSan build dir (the unit suite, and
# the L3, MAP-E, WireGuard and front-door e2e suites with its genkand: a sanitizer
# report in a genkand log fails them, tests/e2e/lib.sh teardown), $3: the
# libFuzzer build (-Dfuzz=true): each harness runs FUZZ_CI_SECONDS (20),
# two at a time, and counts as one test.
set -uo pipefail
build=${1:-build}
asan=${2:-build-asan}
fuzz=${3:-build-fuzz}

rc=0
echo "== tests: $build (unit, bpf, afxdp, netns, e2e)"
meson test -C "$build" --print-errorlogs --num-processes 1 || rc=1
echo "== tests: $asan (unit suite under ASan+UBSan)"
# The timeouts are set for the plain build. Under ASan, every block of
# 128 KiB or more is its own mmap and munmap, so a test that builds
# tables in a loop (test_mape builds 20 000 MAP tables, each with a
# 256 KiB LPM level) pays page faults per build: 6 s plain, 162 s under
# ASan on a VM with dear page faults. Same work, more time.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	meson test -C "$asan" --suite unit --print-errorlogs \
		--timeout-multiplier 5 || rc=1

echo "== tests: $asan genkand in e2e_forward, e2e_mape, e2e_wg, e2e_frontdoor"
asan_abs=$(cd "$asan" && pwd)
e2e_ok=0 e2e_bad=0 bad_names=
for t in e2e_forward e2e_mape e2e_wg e2e_frontdoor; do
	lg=$asan/meson-logs/$t.asan.log
	if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	   GK_BUILD=$asan_abs timeout 900 bash "tests/e2e/$t.sh" >"$lg" 2>&1; then
		e2e_ok=$((e2e_ok + 1))
		echo "$t (ASan genkand): OK, $(grep -E '^[0-9]+ passed, [0-9]+ failed' "$lg" | tail -n 1)"
	else
		e2e_bad=$((e2e_bad + 1))
		bad_names="$bad_names $t(ASan-genkand)"
		rc=1
		echo "$t (ASan genkand): FAIL"
		grep -E '^FAIL|Sanitizer|runtime error' "$lg" | head -n 40
	fi
done

echo "== tests: $fuzz libFuzzer harnesses, ${FUZZ_CI_SECONDS:-20} s each (tests/fuzz/run.sh)"
fuzz_ok=0 fuzz_bad=0
if [ -d "$fuzz/tests/fuzz" ]; then
	bash tests/fuzz/run.sh "$fuzz" "${FUZZ_CI_SECONDS:-20}" || rc=1
	for r in "$fuzz"/fuzz-logs/*.result; do
		[ -f "$r" ] || continue
		if [ "$(cut -d' ' -f2 "$r")" = OK ]; then
			fuzz_ok=$((fuzz_ok + 1))
		else
			fuzz_bad=$((fuzz_bad + 1))
			bad_names="$bad_names $(basename "$r" .result)"
		fi
	done
else
	echo "fuzz: no harnesses in $fuzz (make build-fuzz)"
	fuzz_bad=1
	rc=1
fi

# Tally the runs from meson's machine-readable logs, the e2e and the
# fuzz harnesses above.
E2E_OK=$((e2e_ok + fuzz_ok)) E2E_BAD=$((e2e_bad + fuzz_bad)) E2E_BAD_NAMES=$bad_names \
	/usr/bin/python3 - "$build" "$asan" <<'PY'
import json, os, sys
passed = int(os.environ["E2E_OK"])
failed = int(os.environ["E2E_BAD"])
skipped = 0
names = [n for n in os.environ.get("E2E_BAD_NAMES", "").split() if n]
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
                    names.append(f"{d}:{r.get('name')} ({res})")
                    # its first failed checks (e2e: "FAIL: ..." lines;
                    # cmocka: "[  ERROR   ]"/"[   LINE   ]"), so the tail
                    # of a CI log says what failed too
                    out = (r.get("stdout") or "") + (r.get("stderr") or "")
                    for ln in [x for x in out.splitlines()
                               if x.startswith(("FAIL", "[  ERROR", "[   LINE"))][:6]:
                        names.append("  " + ln[:200])
    except FileNotFoundError:
        failed += 1
        names.append(f"{d}: no meson-logs/testlog.json")
# The failures by name, last, so that the tail of a CI log says which.
for n in names:
    print(f"failed: {n}")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $rc

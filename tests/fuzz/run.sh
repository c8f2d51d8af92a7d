#!/usr/bin/env bash
# Run the libFuzzer harnesses of a -Dfuzz=true build (docs/fuzzing.md).
#   tests/fuzz/run.sh BUILD SECONDS [HARNESS...]
# Each runs SECONDS (nice, FUZZ_JOBS at a time, default 2) on its working
# corpus BUILD/fuzz-corpus/<h> (kept between runs), the scapy seeds
# (gen_corpus.py, into BUILD/fuzz-seeds) and the committed regression
# seeds tests/fuzz/corpus/<h>. Prints one line per harness: execs,
# exec/s, cov and ft (libFuzzer's final status line), crashes (files in
# BUILD/fuzz-crashes); a crash, sanitizer report or timeout fails it.
# The last line is "fuzz: N passed, M failed"; the exit status is 1 if
# any failed. Logs: BUILD/fuzz-logs/<h>.log.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" = --one ]; then
	build=$2 secs=$3 h=$4
	log=$build/fuzz-logs/$h.log res=$build/fuzz-logs/$h.result
	work=$build/fuzz-corpus/$h crashes=$build/fuzz-crashes
	mkdir -p "$work" "$crashes"
	rm -f "$crashes/$h-"*
	dirs=("$work")
	[ -d "$build/fuzz-seeds/$h" ] && dirs+=("$build/fuzz-seeds/$h")
	[ -d "$here/corpus/$h" ] && dirs+=("$here/corpus/$h")
	opts=(-max_total_time="$secs" -print_final_stats=1 -timeout=10
	      -rss_limit_mb=2560 -max_len=8192 -artifact_prefix="$crashes/$h-")
	[ -f "$build/fuzz-seeds/$h.dict" ] && opts+=(-dict="$build/fuzz-seeds/$h.dict")
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		nice "$build/tests/fuzz/$h" "${opts[@]}" "${dirs[@]}" >"$log" 2>&1
	rc=$?
	done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
	ncrash=$(find "$crashes" -name "$h-*" | wc -l)
	status=OK
	if [ $rc -ne 0 ] || [ "$ncrash" -ne 0 ] || [ -z "$done_line" ] ||
	   grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$log"; then
		status=FAIL
	fi
	printf '%s %s %s %s %s %s %s %s\n' "$h" "$status" "$secs" "${execs:-0}" \
		"${rate:-0}" "${cov:-0}" "${ft:-0}" "$ncrash" >"$res"
	exit 0
fi

build=${1:?usage: run.sh BUILD SECONDS [HARNESS...]}
secs=${2:-600}
shift 2 || true
build=$(cd "$build" && pwd)
if [ $# -gt 0 ]; then
	names=("$@")
else
	mapfile -t names < <(cd "$build/tests/fuzz" && find . -maxdepth 1 -type f \
		-name 'fuzz_*' -perm -u+x -printf '%f\n' | sort)
fi
if [ ${#names[@]} -eq 0 ]; then
	echo "fuzz: no harnesses in $build/tests/fuzz (configure with -Dfuzz=true)" >&2
	exit 1
fi
mkdir -p "$build/fuzz-logs"
# The seeds come from scapy; made again when the generator changed.
if [ ! -f "$build/fuzz-seeds/.stamp" ] ||
   [ "$here/gen_corpus.py" -nt "$build/fuzz-seeds/.stamp" ]; then
	rm -rf "$build/fuzz-seeds"
	/usr/bin/python3 "$here/gen_corpus.py" "$build/fuzz-seeds" >"$build/fuzz-logs/seeds.log" 2>&1 ||
		{ echo "fuzz: gen_corpus.py failed:"; cat "$build/fuzz-logs/seeds.log"; exit 1; }
	touch "$build/fuzz-seeds/.stamp"
fi
# Results of this run only (a whole run forgets harnesses gone since).
if [ $# -gt 0 ]; then
	for h in "${names[@]}"; do rm -f "$build/fuzz-logs/$h.result"; done
else
	rm -f "$build"/fuzz-logs/*.result
fi
printf '%s\n' "${names[@]}" |
	xargs -P "${FUZZ_JOBS:-2}" -I{} bash "$0" --one "$build" "$secs" {}

ok=0 bad=0
printf '%-22s %-4s %5s %12s %8s %6s %6s %7s\n' harness ok s execs exec/s cov ft crashes
for h in "${names[@]}"; do
	r=$build/fuzz-logs/$h.result
	if [ ! -f "$r" ]; then
		echo "$h: FAIL (no result)"
		bad=$((bad + 1))
		continue
	fi
	read -r _ st s ex rate cov ft nc <"$r"
	printf '%-22s %-4s %5s %12s %8s %6s %6s %7s\n' "$h" "$st" "$s" "$ex" "$rate" "$cov" "$ft" "$nc"
	if [ "$st" = OK ]; then
		ok=$((ok + 1))
	else
		bad=$((bad + 1))
		grep -E -m 20 'ERROR|runtime error|SUMMARY|^    #[0-9]' "$build/fuzz-logs/$h.log"
		ls "$build/fuzz-crashes/$h-"* 2>/dev/null
	fi
done
echo "fuzz: $ok passed, $bad failed"
[ "$bad" -eq 0 ]

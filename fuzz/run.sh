#!/usr/bin/env bash
# run.sh: runs the fuzz targets built by `make fuzz-build` and prints one table row per target
# (executions, libFuzzer's coverage counter "cov:", corpus size, findings).
#
#   fuzz/run.sh fuzz SECONDS BUILD TARGET...   fuzz each target for SECONDS (`make fuzz`), from
#                                              a random seed
#   fuzz/run.sh ci SECONDS BUILD TARGET...     first replay every committed corpus file of every
#                                              target (regression inputs included), then fuzz
#                                              each for SECONDS from the fixed seed FUZZ_SEED
#                                              (default 1), so that a CI result is reproducible
#                                              (`make fuzz-ci`, CI)
#
# Seeds and regression inputs: fuzz/corpus/TARGET/ (read, never written); dictionaries:
# fuzz/dict/TARGET.dict. New inputs go to BUILD/corpus/TARGET/, logs to BUILD/logs/, and
# crashing, leaking, slow or memory-hungry inputs to BUILD/findings/TARGET/ (copy one into
# fuzz/corpus/TARGET/ as regress-NAME once its bug is fixed). A finding is also printed in
# base64 (up to 8 KB), so that one found on a machine whose files are gone can be rebuilt.
# Exit status 1 on any finding.
set -u
mode=$1 secs=$2 build=$3
shift 3
cd "$(dirname "$0")/.."

# What libFuzzer treats as a finding besides crashes and sanitizer reports: one input running
# longer than this, the process growing past this much memory, or one allocation this large (no
# target needs 256 MB at once for a file of at most max_len bytes: a bigger one is a length
# trusted before it was checked against the file).
opts=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256 -print_final_stats=1)
seed=0 # libFuzzer's: a random one
[ "$mode" = ci ] && seed=${FUZZ_SEED:-1}
# Most targets read small files; the vocabulary and the CLIP checkpoint need room.
max_len() {
    case $1 in
    vocab) echo 65536 ;;
    clip_checkpoint | image | lora) echo 262144 ;;
    *) echo 16384 ;;
    esac
}

status=0
failed=()
if [ "$mode" = ci ]; then
    echo "== replaying the committed corpora under ASan + UBSan + LeakSanitizer"
    for t in "$@"; do
        mapfile -t files < <(find "fuzz/corpus/$t" -type f 2>/dev/null | sort)
        if [ ${#files[@]} -eq 0 ]; then
            echo "$t: no corpus in fuzz/corpus/$t" >&2
            status=1
            continue
        fi
        mkdir -p "$build/logs"
        log=$build/logs/$t.replay.log
        # Files as arguments: each is run once, nothing is mutated.
        if "$build/fuzz/$t" "${opts[@]}" "${files[@]}" >"$log" 2>&1; then
            printf '%-18s %5d inputs  ok\n' "$t" "${#files[@]}"
        else
            printf '%-18s %5d inputs  FAILED (log: %s)\n' "$t" "${#files[@]}" "$log"
            grep -m1 -B2 -A12 'ERROR:\|runtime error' "$log" | sed 's/^/    /'
            # which inputs: each again on its own (a leak is only reported at exit)
            for f in "${files[@]}"; do
                "$build/fuzz/$t" "${opts[@]}" "$f" >/dev/null 2>&1 || echo "    failing input: $f"
            done
            status=1
            failed+=("$t (replay)")
        fi
    done
    if [ $status -ne 0 ]; then
        echo "replay failed: ${failed[*]}" >&2
        exit 1
    fi
    echo
fi

echo "== fuzzing each target for ${secs}s ($(nproc) CPUs: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1))"
printf '%-18s %14s %9s %7s %7s %9s\n' target executions exec/s cov corpus findings
for t in "$@"; do
    work=$build/corpus/$t found=$build/findings/$t log=$build/logs/$t.log
    mkdir -p "$work" "$found" "$build/logs"
    rm -f "$found"/*
    dict=()
    [ -f "fuzz/dict/$t.dict" ] && dict=(-dict="fuzz/dict/$t.dict")
    "$build/fuzz/$t" "${opts[@]}" "${dict[@]}" -seed="$seed" -max_len="$(max_len "$t")" \
        -max_total_time="$secs" -artifact_prefix="$found/" "$work" "fuzz/corpus/$t" \
        >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    n_found=$(find "$found" -type f | wc -l)
    if [ "$rc" -ne 0 ] && [ "$n_found" -eq 0 ]; then n_found=1; fi # died without an artifact
    printf '%-18s %14s %9s %7s %7s %9s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
        "${corp:-?}" "$n_found"
    if [ "$n_found" -ne 0 ]; then
        status=1
        failed+=("$t")
    fi
done
if [ $status -ne 0 ]; then
    echo
    echo "findings:"
    for t in "${failed[@]}"; do
        log=$build/logs/$t.log input=$(find "$build/findings/$t" -type f | head -1)
        echo "  $t: $(grep -m1 -o 'ERROR: .*\|runtime error: .*' "$log" | head -1)"
        echo "    log: $log; input: ${input:-(none written)}"
        # where: the first frames below libFuzzer's own
        grep -E '^ +#[0-9]+ ' "$log" | grep -v 'fuzzer::\|__sanitizer\|__asan\|__ubsan' |
            head -8 | sed 's/^ */      /; s/0x[0-9a-f]* in //; s/ (BuildId: [0-9a-f]*)//'
        if [ -n "$input" ] && [ "$(stat -c %s "$input")" -le 8192 ]; then
            echo "    the input in base64 (rebuild: base64 -d > FILE):"
            base64 -w 96 "$input" | sed 's/^/      /'
        fi
    done
fi
exit $status

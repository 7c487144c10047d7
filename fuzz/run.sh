#!/usr/bin/env bash
# Runs the AFL++ targets one after the other for a bounded time each, then prints what
# fuzzer_stats says (executions, time, crashes, hangs). Usage:
#   fuzz/run.sh [SECONDS_DECODE] [SECONDS_MACHINE] [SECONDS_QUIZ] [SECONDS_JOURNAL]
#   (defaults 480 840 300 300)
# Needs cargo-afl (`cargo install cargo-afl`; `cargo afl config --build` once). Findings are in
# fuzz/out/<target>/default/crashes; reproduce one with
#   cargo run --release --bin replay -- <target> fuzz/out/<target>/default/crashes
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
cargo afl build --release --features afl
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
declare -A seconds=([decode]=${1:-480} [machine]=${2:-840} [quiz]=${3:-300} [journal]=${4:-300})
for target in decode machine quiz journal; do
    out="out/$target"
    # Resume an earlier run's queue when there is one.
    input="seeds/$target"
    [[ -d $out/default/queue ]] && input=-
    echo "==> afl_$target for ${seconds[$target]} s"
    cargo afl fuzz -i "$input" -o "$out" -V "${seconds[$target]}" "target/release/afl_$target" \
        > "out/$target.log" 2>&1 || true
done
for target in decode machine quiz journal; do
    stats="out/$target/default/fuzzer_stats"
    [[ -f $stats ]] || { echo "$target: no stats"; continue; }
    awk -v t="$target" -F' *: *' '
        $1=="run_time"||$1=="execs_done"||$1=="execs_per_sec"||$1=="corpus_count"||
        $1=="saved_crashes"||$1=="saved_hangs"||$1=="bitmap_cvg"||$1=="stability" {v[$1]=$2}
        END {printf "%s: %s execs in %s s (%s/s), corpus %s, coverage %s, stability %s, crashes %s, hangs %s\n",
             t, v["execs_done"], v["run_time"], v["execs_per_sec"], v["corpus_count"],
             v["bitmap_cvg"], v["stability"], v["saved_crashes"], v["saved_hangs"]}' "$stats"
done

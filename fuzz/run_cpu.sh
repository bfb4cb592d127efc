#!/bin/bash
# fuzz/run_cpu.sh TARGET CPU_SECONDS [LOG]: runs one fuzz target (parser, route, ws, jsapi or
# config) from the repo root, niced, from its kept seeds and working corpus, until the fuzzer
# process has used CPU_SECONDS of CPU (user + system, from /proc), then interrupts it (libFuzzer
# prints its final stats and exits 72). libFuzzer's -max_total_time is wall time, which on a
# shared machine says little about the work done; the campaign in fuzz/README.md counts CPU.
# Build first (`make fuzz-tools` and `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz build`); the
# config target needs fastnats importable (PYTHONPATH=python after `make dev`).
# Do not stop (SIGSTOP) a running fuzzer: its per-input timeout is wall time, so the input it
# was on is reported as a timeout when it resumes.
set -u
target=$1 budget=$2 log=${3:-fuzz/$1-$(date +%Y%m%d-%H%M).log}
mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
common=(-timeout=10 "-artifact_prefix=fuzz/artifacts/$target/" -max_total_time=1000000 -print_final_stats=1)
if [ "$target" = config ]; then
  PYTHONPATH=python nice -n 19 python3 fuzz/python/config_target.py fuzz/corpus/config \
    fuzz/seeds/config -dict=fuzz/python/config.dict "${common[@]}" > "$log" 2>&1 &
else
  dict=()
  [ "$target" = parser ] && dict=(-dict=fuzz/parser.dict)
  nice -n 19 "fuzz/target/x86_64-unknown-linux-gnu/release/$target" "fuzz/corpus/$target" \
    "fuzz/seeds/$target" "${common[@]}" "${dict[@]}" > "$log" 2>&1 &
fi
pid=$! tck=$(getconf CLK_TCK) cpu=0 start=$SECONDS
while kill -0 "$pid" 2>/dev/null; do
  sleep 5
  read -ra stat < "/proc/$pid/stat" 2>/dev/null || break
  cpu=$(( (stat[13] + stat[14]) / tck ))
  if [ "$cpu" -ge "$budget" ]; then kill -INT "$pid"; break; fi
done
wait "$pid"; rc=$?
echo "$target: wall $((SECONDS - start)) s, CPU $cpu s, exit $rc (72: interrupted at the budget)," \
  "$(grep -h 'stat::number_of_executed_units' "$log" | tr -s ' ' | cut -d' ' -f2) execs," \
  "$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+'); log $log"

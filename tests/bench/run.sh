#!/usr/bin/env bash
# The link-migration benchmark, one command (docs/benchmarks.md):
#
#   tests/bench/run.sh [--quick] [--out DIR] [--sizes 100,1000,10000] [--no-peers] [--keep]
#                      [--nice N] [--large-repetitions K] [--verbose] [--build-dir DIR] [--no-build]
#
# Configures and builds the benchmark's targets in the build folder (default
# build-bench, Release), then runs bench.py: results in DIR (default
# <build>/bench-results): results.md, results.csv, samples.csv, scaling.png.
# --quick is the smoke run (N = 20, one repetition, no peers).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$root/build-bench"
out=""
sizes="100,1000,10000"
build_it=1
quick=0
pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --sizes) sizes="$2"; pass+=(--sizes "$2"); shift 2 ;;
    --no-build) build_it=0; shift ;;
    --quick) quick=1; pass+=(--quick); shift ;;
    --no-peers|--keep|--verbose) pass+=("$1"); shift ;;
    --large-repetitions) pass+=("$1" "$2"); shift 2 ;;
    --nice) pass+=(--nice "$2"); shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out="$build/bench-results"
[ "$quick" = 1 ] && sizes=20

if [ "$build_it" = 1 ]; then
  # Release, warnings as errors, as CI; but GCC 12 at -O3 warns falsely in
  # std::string code (-Wrestrict, GCC bug 105329), so that one stays a
  # warning. The benchmark needs no postgres store.
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLM_WERROR=ON -DLM_STORE_POSTGRES=OFF \
    -DCMAKE_CXX_FLAGS=-Wno-error=restrict >/dev/null
  targets=(link-migration lm_store_sqlite lm_bench_measure lm_bench_floor lm_bench_dlopen lm_bench_template)
  for n in ${sizes//,/ }; do targets+=("lm_bench_bundle_$n"); done
  cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"
fi
exec python3 "$here/bench.py" --build-dir "$build" --out "$out" "${pass[@]}"

#!/usr/bin/env bash
# Side-by-side comparison of Matching.Engine's LambdaMART with XGBoost (rank:ndcg, hist) and
# ML.NET's LightGBM and FastTree ranking trainers: NDCG@10 on the LETOR example, training time on
# it and on a 200,000-row synthetic set, and scoring speed of a 300-tree model (ML.NET's through
# its exported trees and through its own Transform). Prints the engine-vs-XGBoost table, then one
# table of every trainer with times as ratios to the engine's; misses are printed as misses.
#
#   bench/compare-rankers.sh            # from anywhere inside the repository
#   LTR_EXAMPLE_DIR=/path/to/ltr-example bench/compare-rankers.sh
#
# Environment: LTR_EXAMPLE_DIR (default: <repo>/../shared/data/ltr-example), BENCH_L2 (lambda for
# both sides, default 1), BENCH_SEEDS (default 5), PYTHON (an interpreter with xgboost).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ltr_dir="${LTR_EXAMPLE_DIR:-$repo/../shared/data/ltr-example}"
out="$repo/bench/out"
l2="${BENCH_L2:-1}"
seeds="${BENCH_SEEDS:-5}"

if [[ ! -f "$ltr_dir/rank.train" || ! -f "$ltr_dir/rank.test.query" ]]; then
  echo "LETOR example not found in $ltr_dir (set LTR_EXAMPLE_DIR)." >&2
  exit 1
fi

# Debian's python3-xgboost lives in the system interpreter, which may not be the first python3
# on PATH (pyenv and the like).
find_python() {
  for candidate in "${PYTHON:-}" python3 /usr/bin/python3; do
    if [[ -n "$candidate" ]] && "$candidate" -c 'import xgboost, numpy' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if ! python="$(find_python)"; then
  echo "Installing python3-xgboost (Debian bookworm ships 1.7.4)..." >&2
  sudo_cmd=""
  if [[ "$(id -u)" != 0 ]]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq python3-xgboost python3-numpy >&2
  python="$(find_python)" || { echo "xgboost still not importable after apt-get install." >&2; exit 1; }
fi

echo "Building Release..." >&2
dotnet build "$repo/bench/Matching.Benchmarks" -c Release --nologo -v quiet >&2
bench_dll="$repo/bench/Matching.Benchmarks/bin/Release/net10.0/Matching.Benchmarks.dll"

mkdir -p "$out"
if [[ ! -f "$out/synth.candidates.json" ]]; then
  dotnet "$bench_dll" compare generate --out "$out"
fi

echo "XGBoost side..." >&2
"$python" "$repo/bench/xgb_side.py" --ltr "$ltr_dir" --synth "$out" --out "$out" --l2 "$l2" --seeds "$seeds" --threads 1

echo "Our side..." >&2
dotnet "$bench_dll" compare run --ltr "$ltr_dir" --synth "$out" --xgb "$out" --l2 "$l2" --seeds "$seeds"

#!/usr/bin/env bash
# Load at directory scale, with a bare minimal API as the anchor, in one run (bench/README.md).
#
# Builds Release, makes a seed database once (the demo's simulated history and a 200-tree
# LambdaMART trained on it, promoted through the real gate), then for each system in turn, never
# two at once: the anchor (bench/Matching.LoadTest.Anchor), the baseline API if asked for, and the
# API of this checkout. Each API starts on its own copy of the seed database with rate limits
# lifted, gets a 10,000-therapist directory through POST /v1/therapists/import, and runs the same
# scenarios: open loop at 100/s and 300/s and closed loop at 16 connections, match-only and mixed
# (80% matches, 20% choices, alliance ratings and outcome events on real shortlists). Prints one
# table per system, every figure as a multiple of the anchor's, and writes the markdown to
# bench/out/load-scale.md. Loopback only; every server is stopped on exit.
#
# Usage: bench/load-scale.sh [--quick] [--warmup S] [--duration S] [--rates 100,300]
#          [--connections 16] [--therapists 10000] [--baseline-dir DIR] [--baseline-rev REV]
#          [--port 5390] [--out FILE.md]
#   --quick           smoke check: 1 s warm-up and 3 s per scenario
#   --baseline-dir    a built Matching.Api (the folder holding Matching.Api.dll) run as "baseline";
#                     or BASELINE_API_DIR
#   --baseline-rev    a git revision: checked out into a temporary worktree, built, run as
#                     "baseline", and removed on exit; or BASELINE_REV
#   BASELINE_ENV / API_ENV  extra settings (space-separated NAME=value) for the baseline or the
#                     current API, e.g. BASELINE_ENV=Matching__Exploration__Share=0
#                     with --baseline-dir src/Matching.Api/bin/Release/net10.0 compares one build
#                     with a setting changed, in the same run
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

warmup=5 duration=15 rates=100,300 connections=16 therapists=10000 port=5390 drain=15
baseline_dir=${BASELINE_API_DIR:-}
baseline_rev=${BASELINE_REV:-}
markdown=$repo/bench/out/load-scale.md
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) warmup=1 duration=3 drain=5; shift ;;
    --warmup) warmup=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --therapists) therapists=$2; shift 2 ;;
    --baseline-dir) baseline_dir=$2; shift 2 ;;
    --baseline-rev) baseline_rev=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --out) markdown=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -n "$baseline_dir" ] && [ -n "$baseline_rev" ]; then
  echo "give --baseline-dir or --baseline-rev, not both" >&2; exit 2
fi
command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }

work=$(mktemp -d /tmp/load-scale.XXXXXX)
server=""
client=""
baseline_tree=""
stop_server() {
  [ -n "$server" ] || return 0
  kill "$server" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  server=""
}
cleanup() {
  if [ -n "$client" ]; then kill "$client" 2>/dev/null || true; fi
  stop_server
  if [ -n "$baseline_tree" ]; then git -C "$repo" worktree remove --force "$baseline_tree" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
build() { dotnet build "$1" -c Release -v quiet -nologo >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }; }
echo "building Release: Matching.Api, Matching.LoadTest, Matching.LoadTest.Anchor"
build src/Matching.Api
build bench/Matching.LoadTest
build bench/Matching.LoadTest.Anchor
if [ -n "$baseline_rev" ]; then
  baseline_tree=$work/baseline-src
  git -C "$repo" worktree add --quiet --detach "$baseline_tree" "$baseline_rev"
  echo "building baseline $baseline_rev ($(git -C "$baseline_tree" rev-parse --short HEAD)) in a temporary worktree"
  build "$baseline_tree/src/Matching.Api"
  baseline_dir=$baseline_tree/src/Matching.Api/bin/Release/net10.0
fi
if [ -n "$baseline_dir" ] && [ ! -f "$baseline_dir/Matching.Api.dll" ]; then
  echo "no Matching.Api.dll in $baseline_dir" >&2; exit 2
fi

# The harness runs in the background and is waited for, so a signal to this script reaches the
# trap at once (bash defers traps until a foreground child exits) and the trap stops it too.
harness() {
  dotnet "$repo/bench/Matching.LoadTest/bin/Release/net10.0/Matching.LoadTest.dll" "$@" &
  client=$!
  wait "$client"
  client=""
}
url=http://127.0.0.1:$port

# Starts a server from its build folder (appsettings*.json are copied there), with the given
# VAR=VALUE settings, and waits until it is ready. $server is the dotnet process itself.
start_server() {
  local dir=$1 dll=$2 log=$3
  shift 3
  if curl -s -o /dev/null --max-time 2 "$url/"; then
    echo "something already answers on $url; pick another --port" >&2; exit 1
  fi
  (cd "$dir" && exec env "$@" dotnet "$dll" --urls "$url") >"$log" 2>&1 &
  server=$!
  # Should this script be killed outright (no trap runs), the server goes with it.
  (while kill -0 $$ 2>/dev/null && kill -0 "$server" 2>/dev/null; do sleep 2; done; kill "$server" 2>/dev/null) >/dev/null 2>&1 &
  for _ in $(seq 1 120); do
    curl -sf "$url/health/ready" >/dev/null 2>&1 && return 0
    kill -0 "$server" 2>/dev/null || { echo "server exited; its log:" >&2; tail -20 "$log" >&2; exit 1; }
    sleep 1
  done
  echo "server not ready after 120 s; its log:" >&2; tail -20 "$log" >&2; exit 1
}

run_system() {
  local name=$1 kind=$2 describe=$3
  harness run --name "$name" --kind "$kind" --describe "$describe" --url "$url" --pid "$server" \
    --out "$work/$name.json" --therapists "$therapists" --request bench/scale-request.json --examples examples \
    --warmup "$warmup" --duration "$duration" --rates "$rates" --connections "$connections" --drain "$drain"
}

# One API on a fresh copy of the seed database: Development for the demo keys, rate limits lifted,
# demo seeding off (the seed database already holds the history and the model).
run_api() {
  local name=$1 dir=$2 describe=$3 extra=$4
  cp "$work/seed.db" "$work/$name.db"
  start_server "$dir" Matching.Api.dll "$work/$name.log" \
    ASPNETCORE_ENVIRONMENT=Development \
    "Matching__Database__ConnectionString=Data Source=$work/$name.db" \
    Matching__Demo__Enabled=false \
    Matching__RateLimit__PermitsPerSecond=1000000 Matching__RateLimit__Burst=1000000 $extra
  run_system "$name" api "$describe${extra:+ with $extra}"
  stop_server
}

harness seed --db "$work/seed.db" --reports "$work/training" --out "$work/seed.json"

results=("$work/anchor.json")
start_server bench/Matching.LoadTest.Anchor/bin/Release/net10.0 Matching.LoadTest.Anchor.dll "$work/anchor.log" ASPNETCORE_ENVIRONMENT=Production
run_system anchor anchor "bare minimal API (Kestrel, routing, System.Text.Json; same SDK and GC settings as the service)"
stop_server

if [ -n "$baseline_dir" ]; then
  run_api baseline "$baseline_dir" "Matching.Api ${baseline_rev:-from $baseline_dir}${baseline_rev:+ ($(git -C "$baseline_tree" rev-parse --short HEAD))}" "${BASELINE_ENV:-}"
  results+=("$work/baseline.json")
fi

head=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- src 2>/dev/null || head="$head + uncommitted changes in src/"
run_api current src/Matching.Api/bin/Release/net10.0 "Matching.Api at $head" "${API_ENV:-}"
results+=("$work/current.json")

harness report --results "${results[@]}" --seed "$work/seed.json" --markdown "$markdown"

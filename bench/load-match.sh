#!/usr/bin/env bash
# Load on the match endpoint over loopback: Release build, a fresh demo database (directory,
# history, trained model), rate limits lifted for the run, wrk posting examples/match-request.json.
# Every request ranks the directory and stores its shortlist. Prints wrk's figures.
# Usage: bench/load-match.sh [seconds=15] [connections=16]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
connections=${2:-16}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
dotnet build src/Matching.Api -c Release -v quiet -nologo >/dev/null
work=$(mktemp -d)
port=5091
export ASPNETCORE_ENVIRONMENT=Development
export Matching__Database__ConnectionString="Data Source=$work/matching.db"
export Matching__Demo__Folder="$work/demo"
export Matching__RateLimit__PermitsPerSecond=1000000 Matching__RateLimit__Burst=1000000
(cd src/Matching.Api && exec dotnet bin/Release/net10.0/Matching.Api.dll --urls "http://127.0.0.1:$port") >"$work/api.log" 2>&1 &
api=$!
trap 'kill $api 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 90); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 1; done
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Api-Key"] = "demo-directory-key-0001"
wrk.body = [[$(tr -d '\n' < examples/match-request.json)]]
LUA
echo "model: $(curl -s "http://127.0.0.1:$port/health/ready")"
wrk -t2 -c"$connections" -d5s -s "$work/post.lua" "http://127.0.0.1:$port/v1/matches" >/dev/null   # warm-up
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$work/post.lua" "http://127.0.0.1:$port/v1/matches"

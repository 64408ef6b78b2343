#!/usr/bin/env bash
# Runs every test of Autopack: the dashboard's Vitest suite, then the .NET suite (unit, integration on real
# PostgreSQL and SQLite, real processes, nginx, headless Chromium), and prints the totals as "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
results="$(pwd)/TestResults"
rm -rf "$results"
mkdir -p "$results"

dotnet tool restore >/dev/null

# The dashboard: install from the lockfile when it is newer than node_modules (npm writes node_modules/.package-lock.json
# on every install), build it with its type check and lint (the nginx and browser tests serve dist/), test it.
( cd Autopack.Web && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; } && npm run build ) || { echo "0 passed, 1 failed"; exit 1; }
# The offline Kubernetes schema check the publish tests run.
( cd deploy/validate && { [ -d node_modules ] || npm ci --no-audit --no-fund; } ) || { echo "0 passed, 1 failed"; exit 1; }
( cd Autopack.Web && npx vitest run --reporter=default --reporter=junit --outputFile.junit="$results/web-junit.xml" )
web_status=$?
dotnet build Autopack.sln -c Debug -nologo -v quiet
build=$?
if [ $build -ne 0 ]; then echo "0 passed, 1 failed"; exit 1; fi

dotnet test Autopack.sln --no-build -nologo --logger "trx;LogFileName=dotnet.trx" --results-directory "$results" "$@"
status=$?

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
if [ -f "$results/web-junit.xml" ]; then
  suite=$(grep -o '<testsuites [^>]*>' "$results/web-junit.xml" | head -1)
  t=$(sed -n 's/.* tests="\([0-9]*\)".*/\1/p' <<<"$suite"); f=$(sed -n 's/.* failures="\([0-9]*\)".*/\1/p' <<<"$suite"); e=$(sed -n 's/.* errors="\([0-9]*\)".*/\1/p' <<<"$suite")
  passed=$((passed + ${t:-0} - ${f:-0} - ${e:-0})); failed=$((failed + ${f:-0} + ${e:-0}))
fi
[ $web_status -ne 0 ] && status=1
if [ $status -ne 0 ] && [ $failed -eq 0 ]; then failed=1; fi
echo "${passed} passed, ${failed} failed"
[ $status -eq 0 ] && [ $failed -eq 0 ]

#!/usr/bin/env bash
# Runs every test of Autopack (the .NET suite: unit, integration on real PostgreSQL and SQLite, processes)
# and prints the totals as "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
results="$(pwd)/TestResults"
rm -rf "$results"
mkdir -p "$results"

dotnet tool restore >/dev/null
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
if [ $status -ne 0 ] && [ $failed -eq 0 ]; then failed=1; fi
echo "${passed} passed, ${failed} failed"
[ $status -eq 0 ] && [ $failed -eq 0 ]

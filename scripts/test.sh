#!/usr/bin/env bash
# npm test: typecheck, then every unit and integration test.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== typecheck"
npx tsc --noEmit
echo "== tests"
# Node 20's test runner does not expand globs itself.
mapfile -t files < <(find services support -path '*/test/*.test.ts' | sort)
node --import tsx --test --test-timeout=120000 "${files[@]}"

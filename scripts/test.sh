#!/usr/bin/env bash
# npm test: lint, typecheck, the step library's docs, then every unit and integration test.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== lint (eslint)"
npx eslint .
echo "== typecheck"
npx tsc --noEmit
echo "== docs/steps.md"
node --import tsx scripts/steps-doc.ts --check
echo "== tests"
# Node 20's test runner does not expand globs itself.
mapfile -t files < <(find services support bench -path '*/test/*.test.ts' | sort)
node --import tsx --test --test-timeout=300000 "${files[@]}"

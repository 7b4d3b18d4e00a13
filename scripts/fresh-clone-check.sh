#!/usr/bin/env bash
# What a newcomer gets: clone the current commit into an empty temporary
# directory (nothing beside it, no build trees, no npm modules) and run the
# README's test command there. Uncommitted changes are not part of it:
# commit first. The clone is removed afterwards unless KEEP=1.
#   scripts/fresh-clone-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
commit=$(git rev-parse HEAD)
[[ -z "$(git status --porcelain --untracked-files=no)" ]] ||
    echo "note: uncommitted changes are not in the clone (checking $commit)"
parent=$(mktemp -d /tmp/btcpeerd-fresh-XXXXXX)
[[ "${KEEP:-0}" == 1 ]] || trap 'rm -rf "$parent"' EXIT
git clone --quiet --no-local "$PWD" "$parent/btcpeerd"
cd "$parent/btcpeerd"
git checkout --quiet "$commit"
echo "fresh clone of $commit in $parent/btcpeerd (beside it: $(ls -A "$parent" | tr '\n' ' '))"
# The README's test command, read from the README itself so the two cannot
# drift: the line after "Install the test dependencies".
cmd=$(awk '/^Install the test dependencies/{found=1} found && /^scripts\//{print; exit}' README.md)
[[ -n "$cmd" ]] || { echo "FAIL: README.md has no test command"; exit 1; }
echo "running: $cmd"
bash -c "$cmd"

#!/usr/bin/env bash
# Checks of the tree-sitter grammar with the tree-sitter CLI.
#
# `cargo test --workspace` already runs, without the CLI, on the committed
# parser (the tree-sitter-trial crate, bindings/rust/tests/grammar.rs):
# the corpus under test/corpus, the queries of Neovim, Helix and Zed, the
# same verdict as pest on every file of test/pest-verdicts.txt, and the
# hashes of generated.sha256 (grammar.js not edited since src/ was
# generated). What only this script checks:
#   1. src/ (the generated parser, committed for Neovim, Helix, Zed and the
#      crate) is what `tree-sitter generate` makes of grammar.js, and
#      generated.sha256 records these files (regenerate both with
#      generate.sh);
#   2. the highlight assertions under test/highlight (`tree-sitter test`,
#      which runs the corpus again with the CLI's own reader).
# It also repeats the query and verdict checks with the CLI, as a check
# of the crate's reimplementation. About 10 seconds, plus the CLI build the
# first time (cli.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=cli.sh
source "$here/cli.sh"

cd "$here"
echo "== generated.sha256 records grammar.js, tree-sitter.json and src/"
sha256sum --quiet -c generated.sha256

echo "== the committed parser is what grammar.js generates"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cp grammar.js tree-sitter.json "$scratch/"
(cd "$scratch" && "$ts" generate)
if ! diff -r -q src "$scratch/src" >/dev/null; then
  diff -r src "$scratch/src" | head -20 || true
  echo "src/ is stale: run editors/tree-sitter-trial/generate.sh and commit src/ and generated.sha256" >&2
  exit 1
fi

echo "== tree-sitter test (corpus and highlight assertions)"
"$ts" test

echo "== the Neovim, Helix and Zed queries are valid for this grammar"
for query in queries/*.scm ../helix/queries/trial/*.scm ../zed/languages/trial/*.scm; do
  "$ts" query "$query" "$root/examples/magnesium-migraine/magnesium-migraine.trial" >/dev/null
done

echo "== tree-sitter accepts exactly what pest accepts, on the corpus"
passed=0
failed=0
while read -r verdict path; do
  if "$ts" parse -q "$root/$path" >/dev/null 2>&1; then got=accept; else got=reject; fi
  if [ "$got" = "$verdict" ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "MISMATCH $path: pest says $verdict, tree-sitter says $got"
  fi
done < test/pest-verdicts.txt
echo "corpus: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

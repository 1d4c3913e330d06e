#!/usr/bin/env bash
# Checks of the tree-sitter grammar that need the tree-sitter CLI, so they
# are not part of `cargo test`:
#   1. src/ (the generated parser, committed for Neovim, Helix and Zed) is
#      what `tree-sitter generate` makes of grammar.js;
#   2. `tree-sitter test`: the corpus under test/corpus and the highlight
#      assertions under test/highlight (which also validates the queries);
#   3. the Neovim, Helix and Zed queries are valid for the grammar;
#   4. on every example, standard-library and tests/ui spec and the
#      agreement cases under test/agreement, tree-sitter accepts exactly the
#      files the normative pest grammar accepts (test/pest-verdicts.txt,
#      kept current by `cargo test --test editors`).
#
# The CLI: $TREE_SITTER, else a `tree-sitter` 0.25+ on the PATH, else it is
# built from crates.io into target/tree-sitter-cli (npm's package downloads
# a prebuilt binary, which this network refuses). Building it takes about
# 6 minutes on 2 cores; the checks themselves take about 10 seconds.
# Needs a C compiler (tree-sitter compiles the parser) and Node.js (it
# evaluates grammar.js).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

ts="${TREE_SITTER:-}"
if [ -z "$ts" ] && command -v tree-sitter >/dev/null 2>&1 \
  && tree-sitter --version | grep -Eq 'tree-sitter 0\.(2[5-9]|[3-9][0-9])'; then
  ts="tree-sitter"
fi
if [ -z "$ts" ]; then
  ts="$root/target/tree-sitter-cli/bin/tree-sitter"
  if [ ! -x "$ts" ]; then
    echo "== building the tree-sitter CLI from crates.io (about 6 minutes on 2 cores)"
    cargo install tree-sitter-cli --locked --version 0.27.1 --root "$root/target/tree-sitter-cli"
  fi
fi
echo "== $("$ts" --version)"

cd "$here"
echo "== the committed parser is what grammar.js generates"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cp grammar.js tree-sitter.json "$scratch/"
(cd "$scratch" && "$ts" generate)
if ! diff -r -q src "$scratch/src" >/dev/null; then
  diff -r src "$scratch/src" | head -20 || true
  echo "src/ is stale: run \`tree-sitter generate\` in editors/tree-sitter-trial and commit src/" >&2
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

#!/usr/bin/env bash
# Regenerates src/ (the parser Neovim, Helix, Zed and the tree-sitter-trial
# crate compile) from grammar.js with `tree-sitter generate`, and records in
# generated.sha256 the hashes of the inputs (grammar.js, tree-sitter.json)
# and of every generated file. `cargo test` checks the hashes, so a
# grammar.js edited without running this fails there; commit src/ and
# generated.sha256 together, after test.sh passes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=cli.sh
source "$here/cli.sh"
cd "$here"
"$ts" generate
{
  sha256sum grammar.js tree-sitter.json
  find src -type f | LC_ALL=C sort | xargs sha256sum
} >generated.sha256
echo "== src/ regenerated and generated.sha256 written"

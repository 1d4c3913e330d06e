#!/usr/bin/env bash
# The editor support's checks that need Node.js packages or the tree-sitter
# CLI (so they are not part of `cargo test`):
#   - the TextMate grammar's scope assertions (vscode-tmgrammar-test, npm;
#     about 30 seconds with the install);
#   - the tree-sitter grammar (editors/tree-sitter-trial/test.sh): the
#     committed parser is what `tree-sitter generate` makes of grammar.js,
#     and the highlight assertions; it repeats with the CLI the corpus,
#     query and pest-verdict checks that `cargo test` runs on the committed
#     parser (the tree-sitter-trial crate). About 10 seconds, plus about 6
#     minutes on 2 cores to build the CLI from crates.io the first time.
# Packaging the VS Code extension (editors/vscode/scripts/package.sh) is
# not a check and is not run here.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== TextMate grammar (vscode-tmgrammar-test)"
bash editors/vscode/scripts/test-grammar.sh
echo "== tree-sitter grammar"
bash editors/tree-sitter-trial/test.sh

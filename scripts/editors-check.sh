#!/usr/bin/env bash
# The editor support's own checks, which need Node.js packages and the
# tree-sitter CLI (so they are not part of `cargo test`):
#   - the TextMate grammar's scope assertions (vscode-tmgrammar-test, npm;
#     about 30 seconds with the install);
#   - the tree-sitter grammar: committed parser up to date, corpus and
#     highlight tests, Helix and Zed queries valid, and the same verdict as
#     pest on every example, standard-library and tests/ui spec (about 10
#     seconds, plus about 6 minutes on 2 cores to build the CLI from
#     crates.io the first time; editors/tree-sitter-trial/test.sh).
# Packaging the VS Code extension (editors/vscode/scripts/package.sh) is
# not a check and is not run here.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== TextMate grammar (vscode-tmgrammar-test)"
bash editors/vscode/scripts/test-grammar.sh
echo "== tree-sitter grammar"
bash editors/tree-sitter-trial/test.sh

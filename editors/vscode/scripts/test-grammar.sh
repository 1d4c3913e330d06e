#!/usr/bin/env bash
# TextMate grammar tests: every `test/*.test.trial` file's scope assertions,
# checked by vscode-tmgrammar-test (from npm, installed here on first use
# into editors/vscode/node_modules; about 20 seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/vscode-tmgrammar-test ]; then
  npm install --no-audit --no-fund --ignore-scripts vscode-tmgrammar-test@0.1.3 >/dev/null
fi
node_modules/.bin/vscode-tmgrammar-test -g syntaxes/trial.tmLanguage.json 'test/*.test.trial'

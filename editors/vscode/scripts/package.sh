#!/usr/bin/env bash
# Packages the extension as editors/vscode/trialc.vsix with vsce (npm
# packages vscode-languageclient and @vscode/vsce; needs the npm registry).
# Not part of CI's tests. Install the result with
#   code --install-extension editors/vscode/trialc.vsix
set -euo pipefail
cd "$(dirname "$0")/.."
npm install --no-audit --no-fund
npx vsce package --allow-missing-repository --skip-license -o trialc.vsix
echo "wrote $(pwd)/trialc.vsix"

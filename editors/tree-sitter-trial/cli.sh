# Sourced by test.sh and generate.sh: sets `ts` to a tree-sitter CLI,
# $TREE_SITTER, else a `tree-sitter` 0.25+ on the PATH, else one built from
# crates.io into target/tree-sitter-cli (npm's package downloads a prebuilt
# binary, which this network refuses). Building it takes about 6 minutes on
# 2 cores. The CLI needs a C compiler and Node.js (it evaluates grammar.js).
ts_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ts="${TREE_SITTER:-}"
if [ -z "$ts" ] && command -v tree-sitter >/dev/null 2>&1 \
  && tree-sitter --version | grep -Eq 'tree-sitter 0\.(2[5-9]|[3-9][0-9])'; then
  ts="tree-sitter"
fi
if [ -z "$ts" ]; then
  ts="$ts_root/target/tree-sitter-cli/bin/tree-sitter"
  if [ ! -x "$ts" ]; then
    echo "== building the tree-sitter CLI from crates.io (about 6 minutes on 2 cores)"
    cargo install tree-sitter-cli --locked --version 0.27.1 --root "$ts_root/target/tree-sitter-cli"
  fi
fi
echo "== $("$ts" --version)"

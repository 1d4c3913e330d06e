#!/usr/bin/env bash
# A release archive: the optimised binary, shell completions, manual pages
# (trialc(1) and one per command) and the docs, as
# dist/trialc-VERSION-TARGET.tar.gz. Uses only the Rust toolchain.
#
# usage: scripts/release.sh
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root"
cargo build --release --locked -p trialc
bin=target/release/trialc
version=$("$bin" --version | awk '{print $2}')
target=$(rustc -vV | awk '/^host:/ {print $2}')
name="trialc-$version-$target"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dir="$stage/$name"
mkdir -p "$dir/bin" "$dir/completions" "$dir/man/man1" "$dir/docs"
cp "$bin" "$dir/bin/"
"$bin" completions bash > "$dir/completions/trialc.bash"
"$bin" completions zsh > "$dir/completions/_trialc"
"$bin" completions fish > "$dir/completions/trialc.fish"
"$bin" completions powershell > "$dir/completions/_trialc.ps1"
"$bin" man > "$dir/man/man1/trialc.1"
for command in $("$bin" --help | awk '/^Commands:/ {on=1; next} on && NF {print $1} on && !NF {exit}'); do
  [ "$command" = help ] && continue
  "$bin" man "$command" > "$dir/man/man1/trialc-$command.1"
done
cp -r docs/. "$dir/docs/"
cp README.md ARCHITECTURE.md "$dir/"
mkdir -p dist
tar -C "$stage" -czf "dist/$name.tar.gz" "$name"
echo "wrote dist/$name.tar.gz"

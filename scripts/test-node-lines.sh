#!/usr/bin/env bash
# Runs the compiled test suite (dist/, built once by `npm test` or `npm run build`) on the other
# supported Node lines, 22 and 24 by default (NODE_LINES="22 24"), with binaries from the npm
# registry's node-linux-<arch> packages. Each runs `node scripts/run-tests.mjs [filters...]`
# with that binary; the tests' child processes use process.execPath, so they run on it too.
# Every line runs even if an earlier one fails; the exit code is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac
if [ ! -d dist/test ]; then
  echo "dist/test is missing: run \`npm run build\` first" >&2
  exit 1
fi

failed=()
for line in ${NODE_LINES:-22 24}; do
  dir="${TMPDIR:-/tmp}/spiderd-node-${line}"
  bin="$dir/node_modules/node-linux-${arch}/bin/node"
  if ! "$bin" --version >/dev/null 2>&1; then
    echo "installing node-linux-${arch}@${line} into $dir"
    mkdir -p "$dir"
    npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$dir" "node-linux-${arch}@${line}" >/dev/null || { failed+=("$line (install)"); continue; }
  fi
  echo "==== Node $("$bin" --version): node scripts/run-tests.mjs $*"
  if ! "$bin" scripts/run-tests.mjs "$@"; then failed+=("$line"); fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "test suite failed on Node ${failed[*]}" >&2
  exit 1
fi

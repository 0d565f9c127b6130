#!/usr/bin/env bash
# Binance's own Python connector for USDⓈ-M futures (binance-futures-connector on PyPI), for the
# client test (test/integration/binanceConnector.test.ts): installed once with pip into a folder
# under .tools/ (git-ignored; STAMPEDE_PY_CLIENTS_DIR overrides the parent folder), never into
# the system's Python. Prints the folder to put on PYTHONPATH as its last line of stdout.
# No Python: says so on stderr and prints nothing (the test then skips with that message). A
# failed install is exit 1: CI must be able to install it.
set -euo pipefail
VERSION=4.2.0
PYTHON=${PYTHON:-python3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PARENT=${STAMPEDE_PY_CLIENTS_DIR:-$ROOT/.tools/python}
DIR=$PARENT/binance-futures-connector-$VERSION

if ! command -v "$PYTHON" >/dev/null; then
  echo "binance-futures-connector: $PYTHON not found; install Python 3 for the client test" >&2
  exit 0
fi
importable() { PYTHONPATH="$DIR" "$PYTHON" -c 'import binance.um_futures' 2>/dev/null; }
if [ -f "$DIR/.complete" ] && importable; then
  echo "$DIR"
  exit 0
fi
echo "binance-futures-connector: installing $VERSION with pip into $DIR (once)" >&2
mkdir -p "$PARENT"
TMP=$(mktemp -d "$PARENT/.install.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
if ! PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install --disable-pip-version-check --no-input --quiet \
  --target "$TMP" "binance-futures-connector==$VERSION" >&2; then
  echo "binance-futures-connector: FAILED to install $VERSION with pip" >&2
  exit 1
fi
rm -rf "$DIR"
mv "$TMP" "$DIR"
trap - EXIT
touch "$DIR/.complete"
importable || { echo "binance-futures-connector: installed but binance.um_futures does not import" >&2; exit 1; }
echo "$DIR"

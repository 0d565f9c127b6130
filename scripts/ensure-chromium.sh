#!/usr/bin/env bash
# The browser test (test/browser/) opens the reports in Debian's chromium through playwright-core;
# Playwright's own browser downloads are never used. Installs it with apt when it is missing and
# this user can (root, as in CI); otherwise says how, and the browser test fails with that advice.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "chromium: $CHROMIUM is missing; install it (Debian/Ubuntu: sudo apt-get install -y --no-install-recommends chromium) for the browser test" >&2
  exit 0
fi
echo "chromium: $CHROMIUM missing; installing Debian's chromium with apt-get"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; }; then
  echo "chromium: FAILED to install chromium with apt-get (the browser test needs $CHROMIUM)" >&2
  exit 1
fi
[ -x "$CHROMIUM" ] || { echo "chromium: installed but $CHROMIUM is missing" >&2; exit 1; }
echo "chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)"

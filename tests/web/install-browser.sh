#!/usr/bin/env bash
# Installs what the browser tests need, idempotently: Debian's Chromium (Playwright drives it; we never
# run `playwright install`, which would download a browser build). Playwright for Python comes with the
# test extras (setup.cfg). Without root or apt-get, says so and leaves the browser tests to skip.
set -euo pipefail
CHROMIUM="${ESAV_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
  echo "install-browser: Chromium absent and apt-get unavailable (or not root): browser tests will be skipped." >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; then
  echo "install-browser: $("$CHROMIUM" --version 2>/dev/null || echo chromium installed)"
else
  echo "install-browser: apt-get could not install chromium: browser tests will be skipped." >&2
fi

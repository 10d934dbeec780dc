#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (a test tool's own browser download cannot work
# without internet). Installs it when missing and we may; otherwise says what to do.
set -euo pipefail
browser="${POOLSCOPE_CHROMIUM:-/usr/bin/chromium}"
[ -x "$browser" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium for the browser tests (apt-get install chromium)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "The browser tests need Chromium at $browser: install it (e.g. 'sudo apt-get install chromium') or set POOLSCOPE_CHROMIUM to a Chromium binary." >&2
exit 1

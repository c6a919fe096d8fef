#!/usr/bin/env bash
# Web view check: the SMS fallback page (/m/:token) opened in headless Chromium as a phone with JavaScript off,
# checked from the DOM and a screenshot (kept; its path is printed). Expects a build (`npm run build`); run from
# anywhere. Uses Debian's chromium (CHROMIUM_PATH to use another).
set -euo pipefail

if [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
fi

cd "$(dirname "$0")/../.."
node dist/conformance/webview/run.js

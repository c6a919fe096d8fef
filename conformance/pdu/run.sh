#!/usr/bin/env bash
# PDU conformance: our decoder against the public vectors and their tshark/test-suite oracles, and our encoder
# against tshark's MMSE dissector. Expects a build (`npx tsc -p .`); run from anywhere.
set -euo pipefail

command -v tshark >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tshark; }

cd "$(dirname "$0")/../.."
status=0
node dist/conformance/pdu/vectors.js || status=1
node dist/conformance/pdu/encode-oracle.js || status=1
exit "$status"

#!/usr/bin/env bash
# WAP push conformance: MMS notification pushes built by protocols/push, sent as SMPP submit_sm in a capture made
# with text2pcap, decoded by tshark (SMPP, GSM SMS UDH, WSP, MMSE), which must show what we encoded. Expects a build
# (`npm run build`); run from anywhere.
set -euo pipefail

command -v tshark >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tshark; }

cd "$(dirname "$0")/../.."
node dist/conformance/push/check.js

#!/usr/bin/env bash
# SMPP interop: our SmppClient against Debian's libnet-smpp-perl example SMSC (Net::SMPP's smsc.pl, on
# localhost:9900), binding, submitting GSM text and WAP pushes and unbinding, while tshark captures the loopback
# and must decode what we sent (SMPP, GSM SMS UDH, WSP, MMSE). Expects a build (`npm run build`); run from
# anywhere. Needs root (or capture rights) for tshark on lo.
set -euo pipefail

cd "$(dirname "$0")/../.."

SMSC_PORT=9900 # fixed in smsc.pl
EXAMPLES=/usr/share/doc/libnet-smpp-perl/examples
work=$(mktemp -d "${TMPDIR:-/tmp}/smpp-conformance.XXXXXX")
smsc_pid=
cleanup() {
  # smsc.pl forks a child per connection; it runs in its own process group, which is ended whole.
  if [ -n "$smsc_pid" ]; then kill -- "-$smsc_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

command -v tshark >/dev/null || { echo 'FAIL tshark is not installed (apt-get install tshark): no capture can be decoded'; exit 1; }

# Debian may ship the example gzipped.
if [ -f "$EXAMPLES/smsc.pl" ]; then smsc_script=$EXAMPLES/smsc.pl
elif [ -f "$EXAMPLES/smsc.pl.gz" ]; then smsc_script=$work/smsc.pl; zcat "$EXAMPLES/smsc.pl.gz" >"$smsc_script"
else echo "FAIL libnet-smpp-perl's example SMSC is not installed ($EXAMPLES/smsc.pl; apt-get install libnet-smpp-perl)"; exit 1
fi

# Listening, seen without connecting (a connection would make smsc.pl fork a child that reads nothing).
port_open() { ss -Hltn "sport = :$SMSC_PORT" | grep -q .; }
if port_open; then echo "FAIL port $SMSC_PORT is already taken: another SMSC would answer in smsc.pl's place"; exit 1; fi

# Argument 3: SMPP v3.4. setsid: its own process group (it is not a group leader here, so setsid does not fork).
setsid perl "$smsc_script" 3 >"$work/smsc.log" 2>&1 &
smsc_pid=$!
for _ in $(seq 100); do port_open && break; sleep 0.1; done
if ! port_open; then echo "FAIL smsc.pl does not listen on localhost:$SMSC_PORT"; cat "$work/smsc.log"; exit 1; fi
echo "ok smsc.pl (Net::SMPP $(perl -MNet::SMPP -e 'print $Net::SMPP::VERSION')) listens on localhost:$SMSC_PORT"

status=0
SMSC_PORT=$SMSC_PORT SMSC_LOG=$work/smsc.log node dist/conformance/smpp/interop.js || status=1
if [ "$status" -ne 0 ]; then echo '--- smsc.pl log'; cat "$work/smsc.log"; fi
exit "$status"

#!/usr/bin/env bash
# PAP interop: our PapSender against a real Push Proxy Gateway, Kannel 1.4.5's wapbox (PAP 2.0 over HTTP on
# 127.0.0.1:8080/wappush), behind its bearerbox, bound over SMPP to Debian's libnet-smpp-perl example SMSC
# (smsc.pl on localhost:9900), while tshark captures that SMPP link; interop.ts pushes one m-notification-ind
# and checks the PAP answer, Kannel's and the SMSC's logs, and tshark's decode (SMPP, GSM SMS UDH, WSP, MMSE).
# Installs nothing. Expects a build (`npm run build`); run from anywhere. Needs root (or capture rights) for
# tshark on lo. Every process it starts is stopped by its pid on exit; PAP_CONFORMANCE_KEEP=dir keeps the
# capture, the logs and tshark's text there.
set -euo pipefail

cd "$(dirname "$0")/../.."

SMSC_PORT=9900 # fixed in smsc.pl
PPG_PORT=8080
ADMIN_PORT=13000
SMSBOX_PORT=13001
WAPBOX_PORT=13002
STATUS_PASSWORD=bar
EXAMPLES=/usr/share/doc/libnet-smpp-perl/examples

setup_passed=0
ok() { echo "ok $*"; setup_passed=$((setup_passed + 1)); }
# A failure before interop.ts runs: the line, the summary line CI counts, then out.
fail() { echo "FAIL $*"; echo "${setup_passed} passed, 1 failed"; exit 1; }

[ -x /usr/sbin/bearerbox ] || fail 'Kannel bearerbox is not installed (/usr/sbin/bearerbox; apt-get install kannel)'
[ -x /usr/sbin/wapbox ] || fail 'Kannel wapbox is not installed (/usr/sbin/wapbox; apt-get install kannel)'
[ -f "$EXAMPLES/smsc.pl" ] || [ -f "$EXAMPLES/smsc.pl.gz" ] ||
  fail "libnet-smpp-perl's example SMSC is not installed ($EXAMPLES/smsc.pl; apt-get install libnet-smpp-perl)"
command -v tshark >/dev/null || fail 'tshark is not installed (apt-get install tshark): the SMPP link cannot be decoded'
[ -f dist/conformance/pap/interop.js ] || fail 'dist/conformance/pap/interop.js is missing (npm run build)'

listening() { ss -Hltn "sport = :$1" | grep -q .; }
for port in "$SMSC_PORT" "$PPG_PORT" "$ADMIN_PORT" "$SMSBOX_PORT" "$WAPBOX_PORT"; do
  if listening "$port"; then fail "port $port is already taken (another SMSC, Kannel or PPG would answer in ours' place)"; fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/pap-conformance.XXXXXX")
smsc_pid= tshark_pid= bearerbox_pid= wapbox_pid=

# Gone, or exited and waiting to be reaped (a zombie still answers kill -0).
ended() { [ ! -e "/proc/$1" ] || [ "$(sed -E 's/^[0-9]+ \(.*\) (.).*/\1/' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
# SIGTERM (Kannel shuts down cleanly and unbinds), up to 5 s, then SIGKILL; by pid only.
stop() {
  local pid=$1 sig=${2:-TERM}
  [ -n "$pid" ] || return 0
  ended "$pid" && return 0
  kill "-$sig" "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do ended "$pid" && return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  stop "$wapbox_pid"
  stop "$bearerbox_pid"
  stop "$tshark_pid" INT
  # smsc.pl forks a child per connection; it runs in its own process group, which is ended whole.
  if [ -n "$smsc_pid" ]; then kill -- "-$smsc_pid" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  if [ -n "${PAP_CONFORMANCE_KEEP:-}" ]; then mkdir -p "$PAP_CONFORMANCE_KEEP" && cp -r "$work"/. "$PAP_CONFORMANCE_KEEP"/; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The shared tools/kannel/kannel.conf, with absolute log paths and without smsbox's own settings: bearerbox
# refuses to start without an smsbox-port and an smsbox group, though no smsbox runs (the PPG needs none).
cat >"$work/kannel.conf" <<EOF
group = core
admin-port = $ADMIN_PORT
admin-interface = 127.0.0.1
admin-password = $STATUS_PASSWORD
status-password = $STATUS_PASSWORD
wapbox-port = $WAPBOX_PORT
smsbox-port = $SMSBOX_PORT
smsbox-interface = 127.0.0.1
wdp-interface-name = "127.0.0.1"
box-allow-ip = "127.0.0.1"
log-file = "$work/bearerbox.log"
log-level = 0
access-log = "$work/access.log"

group = smsc
smsc = smpp
smsc-id = netsmpp
host = 127.0.0.1
port = $SMSC_PORT
transceiver-mode = true
smsc-username = "GSMSGW"
smsc-password = "secret"
system-type = ""
interface-version = 34

group = wapbox
bearerbox-host = 127.0.0.1
log-file = "$work/wapbox.log"
log-level = 0

group = ppg
ppg-url = /wappush
ppg-port = $PPG_PORT
ppg-deny-ip = "*.*.*.*"
concurrent-pushes = 10
users = 10
trusted-pi = true
ppg-allow-ip = "127.0.0.1"
service-name = ppg

group = smsbox
bearerbox-host = 127.0.0.1
EOF

# A copy of smsc.pl with its own $trace switch on (Data::Dumper of every PDU it reads) and stdout unbuffered
# (its `Received` lines otherwise reach the log only when a child exits).
if [ -f "$EXAMPLES/smsc.pl" ]; then cp "$EXAMPLES/smsc.pl" "$work/smsc.pl"; else zcat "$EXAMPLES/smsc.pl.gz" >"$work/smsc.pl"; fi
sed -i 's/^\$trace = 0;$/$trace = 1; $| = 1;/' "$work/smsc.pl"
grep -q '^\$trace = 1; \$| = 1;$' "$work/smsc.pl" || fail "smsc.pl has no '\$trace = 0;' line to switch on: another libnet-smpp-perl version?"

# Argument 3: SMPP v3.4. setsid: its own process group (not a group leader here, so setsid does not fork).
setsid perl "$work/smsc.pl" 3 >"$work/smsc.log" 2>&1 &
smsc_pid=$!
for _ in $(seq 100); do listening "$SMSC_PORT" && break; sleep 0.1; done
listening "$SMSC_PORT" || { cat "$work/smsc.log"; fail "smsc.pl does not listen on localhost:$SMSC_PORT"; }
ok "smsc.pl (Net::SMPP $(perl -MNet::SMPP -e 'print $Net::SMPP::VERSION')) listens on localhost:$SMSC_PORT"

# tshark on lo, the SMSC port only. "Capturing on" comes before packets are seen, so it is then probed: a SYN
# to 127.0.0.2:$SMSC_PORT (smsc.pl binds 127.0.0.1 only: refused at once, no child forks) until tshark prints
# a packet (-P -l: summaries on stdout while writing the file).
tshark -l -P -i lo -f "tcp port $SMSC_PORT" -w "$work/smsc.pcapng" >"$work/tshark.out" 2>"$work/tshark.err" &
tshark_pid=$!
for _ in $(seq 150); do grep -q 'Capturing on' "$work/tshark.err" && break; sleep 0.1; done
grep -q 'Capturing on' "$work/tshark.err" || { cat "$work/tshark.err"; fail "tshark does not capture on lo"; }
for _ in $(seq 150); do
  (exec 3<>"/dev/tcp/127.0.0.2/$SMSC_PORT") 2>/dev/null || true
  [ -s "$work/tshark.out" ] && break
  sleep 0.1
done
[ -s "$work/tshark.out" ] || { cat "$work/tshark.err"; fail "tshark sees no probe packet on lo"; }
ok "tshark captures lo, tcp port $SMSC_PORT"

status() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$ADMIN_PORT" || exit 1
    printf 'GET /status.txt?password=%s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$STATUS_PASSWORD" >&3
    timeout 3 cat <&3
  ) 2>/dev/null
}

/usr/sbin/bearerbox "$work/kannel.conf" >"$work/bearerbox.out" 2>&1 &
bearerbox_pid=$!
for _ in $(seq 150); do status | grep -q 'netsmpp\[netsmpp\].*(online' && break; kill -0 "$bearerbox_pid" 2>/dev/null || break; sleep 0.1; done
if ! status | grep -q 'netsmpp\[netsmpp\].*(online'; then
  tail -20 "$work/bearerbox.out"; fail "bearerbox is not up with its SMSC connection online (status.txt on 127.0.0.1:$ADMIN_PORT)"
fi
ok "bearerbox $(status | sed -n "s/^Kannel bearerbox version \`\([^']*\)'.*/\1/p" | head -1) up, its SMSC connection to smsc.pl online"

/usr/sbin/wapbox "$work/kannel.conf" >"$work/wapbox.out" 2>&1 &
wapbox_pid=$!
for _ in $(seq 150); do
  status | grep -q 'wapbox, IP 127.0.0.1' && listening "$PPG_PORT" && break
  kill -0 "$wapbox_pid" 2>/dev/null || break
  sleep 0.1
done
if ! { status | grep -q 'wapbox, IP 127.0.0.1' && listening "$PPG_PORT"; }; then
  tail -20 "$work/wapbox.out"; fail "wapbox is not connected to bearerbox with its PPG on port $PPG_PORT"
fi
ok "wapbox connected to bearerbox, PPG listening on port $PPG_PORT"

status_code=0
SETUP_PASSED=$setup_passed PPG_URL="http://127.0.0.1:$PPG_PORT/wappush" \
  STATUS_URL="http://127.0.0.1:$ADMIN_PORT/status.txt?password=$STATUS_PASSWORD" SMSC_PORT=$SMSC_PORT \
  SMSC_LOG="$work/smsc.log" KANNEL_LOGS="$work" PCAP="$work/smsc.pcapng" TSHARK_PID=$tshark_pid \
  PAP_CONFORMANCE_KEEP="${PAP_CONFORMANCE_KEEP:+$work}" \
  node dist/conformance/pap/interop.js || status_code=1
if [ "$status_code" -ne 0 ]; then
  echo '--- wapbox.log (PPG lines)'; grep -E 'PPG|PAP|WARNING|ERROR' "$work/wapbox.log" | tail -30 || true
  echo '--- smsc.pl log (tail)'; tail -30 "$work/smsc.log" || true
fi
exit "$status_code"

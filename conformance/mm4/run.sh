#!/usr/bin/env bash
# MM4 interop (3GPP TS 23.140 §8.4, MMS between MMS Relay/Servers over SMTP) against SMTP software nobody
# here wrote, all on loopback:
# 1. swaks -> our listener (`mmsc serve` with the MM4 edge on): each of the six MM4 message types, written by
#    hand (conformance/vectors/mm4/hand-written/), and the public sample (mmsgw-generated/, only its SMTP
#    envelope chosen here), with the reply each must get; then a relay attempt (550 5.7.1), an unknown source
#    address (554), an oversize message (552) and malformed MIME (554 5.6.0); the ops metrics count them.
# 2. our outbound (Mm4PeerRoute) -> a private Postfix instance that requires STARTTLS (outbound.ts).
# Installs swaks and postfix when missing (postfix without a system configuration, so no instance starts on
# port 25). Expects a build (`npm run build`); run from anywhere. Every process it starts is stopped on exit by
# its pid (the gateway) or through its own config directory (`postfix -c DIR stop`); MM4_CONFORMANCE_KEEP=dir
# keeps the logs, the transcripts and Postfix's Maildir there.
set -euo pipefail

cd "$(dirname "$0")/../.."

DOMAIN=mms.mnc001.mcc001.gprs      # ours
PEER_DOMAIN=mms.mnc002.mcc001.gprs # the peer carrier's (the swaks side, and the Postfix side)
LOCAL=+15550001234                 # a subscriber of ours (mm1.localPrefixes +1555)
REMOTE=+15559998888                # a subscriber of the peer
HAND=conformance/vectors/mm4/hand-written
SAMPLE=conformance/vectors/mm4/mmsgw-generated/mm4-forward-req-from-mmsgw.eml
MAX_BYTES=65536 # mm4.maxMessageBytes for this run: an oversize message stays small

passed=0 failed=0
ok() { echo "ok $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
# A failure that stops the run: the line, the summary line CI counts, then out.
fatal() { echo "FAIL $*"; echo "${passed} passed, $((failed + 1)) failed"; exit 1; }

missing=()
command -v swaks >/dev/null || missing+=(swaks)
[ -x /usr/sbin/postfix ] || missing+=(postfix)
if ((${#missing[@]})); then
  # 'No configuration': Debian's postfix then writes no main.cf and starts no system instance.
  echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v swaks >/dev/null || fatal 'swaks is not installed (apt-get install swaks)'
[ -x /usr/sbin/postfix ] || fatal 'postfix is not installed (apt-get install postfix)'
command -v openssl >/dev/null || fatal 'openssl is not installed: no certificate for Postfix'
[ -f dist/src/cli.js ] && [ -f dist/conformance/mm4/outbound.js ] || fatal 'dist/ is missing or old (npm run build)'

work=$(mktemp -d "${TMPDIR:-/tmp}/mm4-conformance.XXXXXX")
chmod 755 "$work" # Postfix's daemons run as user postfix and must reach their directories inside
gw_pid= pf_started=

# Gone, or exited and waiting to be reaped (a zombie still answers kill -0).
ended() { [ ! -e "/proc/$1" ] || [ "$(sed -E 's/^[0-9]+ \(.*\) (.).*/\1/' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
cleanup() {
  if [ -n "$gw_pid" ] && ! ended "$gw_pid"; then
    kill -TERM "$gw_pid" 2>/dev/null || true
    for _ in $(seq 50); do ended "$gw_pid" && break; sleep 0.1; done
    ended "$gw_pid" || kill -KILL "$gw_pid" 2>/dev/null || true
  fi
  if [ -n "$pf_started" ]; then
    postfix -c "$work/postfix" stop >/dev/null 2>&1 || true
    for _ in $(seq 50); do postfix -c "$work/postfix" status >/dev/null 2>&1 || break; sleep 0.1; done
    if postfix -c "$work/postfix" status >/dev/null 2>&1; then postfix -c "$work/postfix" abort >/dev/null 2>&1 || true; fi
  fi
  wait 2>/dev/null || true
  if [ -n "${MM4_CONFORMANCE_KEEP:-}" ]; then mkdir -p "$MM4_CONFORMANCE_KEEP" && cp -r "$work"/. "$MM4_CONFORMANCE_KEEP"/ 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { node -e 'const s=require("node:net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# ---------------------------------------------------------------------------------------------------------
# 1. swaks -> our MM4 listener.

cat >"$work/mmsc.json" <<EOF
{
  "ops": { "host": "127.0.0.1", "port": 0 },
  "mm1": { "enabled": true, "host": "127.0.0.1", "port": 0, "localPrefixes": ["+1555000"], "tokenSecret": "mm4-interop-token-secret-0123456789abcdef",
           "push": "pap", "papUrl": "http://127.0.0.1:9/pap" },
  "mm7": { "enabled": false },
  "mm4": { "enabled": true, "host": "127.0.0.1", "port": 0, "domains": ["$DOMAIN"], "maxMessageBytes": $MAX_BYTES,
           "peers": [{ "id": "carrier-b", "allow": ["127.0.0.1/32"] }] }
}
EOF
# The embedded store (no Redis): this run's messages are its own. The PAP URL is a closed loopback port: the
# handset's notification is not what is checked here.
env -u REDIS_URL node bin/mmsc serve --config "$work/mmsc.json" >"$work/mmsc.out" 2>"$work/mmsc.log" &
gw_pid=$!
for _ in $(seq 150); do grep -q '^mm4 ' "$work/mmsc.out" && grep -q '^ops ' "$work/mmsc.out" && break; ended "$gw_pid" && break; sleep 0.1; done
mm4_url=$(sed -n 's/^mm4 *listening on \([^ ]*\).*/\1/p' "$work/mmsc.out")
ops_url=$(sed -n 's/^ops *listening on \([^ ]*\).*/\1/p' "$work/mmsc.out")
[[ $mm4_url =~ ^smtp://127\.0\.0\.1:([0-9]+)$ ]] || { tail -20 "$work/mmsc.log"; fatal "mmsc serve printed no MM4 listener on 127.0.0.1 ($(tr '\n' ';' <"$work/mmsc.out"))"; }
MM4_PORT=${BASH_REMATCH[1]}
ok "mmsc serve: MM4 listener on $mm4_url, ops on $ops_url"

n=0
last_reply=
# swaks_check NAME WANT_EXIT WANT_REPLY swaks-args...: one SMTP transaction; the check is swaks' exit code
# (0 = all accepted; 21 greeting, 23 MAIL, 24 RCPT, 26 the message after DATA refused) and the last reply
# before QUIT matching the regex WANT_REPLY. POSIXLY_CORRECT: otherwise Getopt::Long takes the leading '+'
# of '+1555.../TYPE=PLMN@...' as an option prefix.
swaks_check() {
  local name=$1 want_rc=$2 want=$3 rc=0
  shift 3
  n=$((n + 1))
  local out="$work/swaks-$n.txt"
  POSIXLY_CORRECT=1 swaks --server "127.0.0.1:$MM4_PORT" --helo "$PEER_DOMAIN" --timeout 30 "$@" >"$out" 2>&1 || rc=$?
  last_reply=$(grep -E '^<(-|\*\*) +[0-9]{3}' "$out" | grep -vE '^<(-|\*\*) +221 ' | tail -1 | sed -E 's/^<(-|\*\*) +//; s/\r$//')
  if [ "$rc" = "$want_rc" ] && [[ $last_reply =~ $want ]]; then
    ok "$name: $last_reply"
  else
    bad "$name: swaks exit $rc (want $want_rc), reply '$last_reply' (want /$want/)"
    sed 's/^/    /' "$out" | tail -20
  fi
}

fwd_from=(--from "$REMOTE/TYPE=PLMN@$PEER_DOMAIN")
sys_from=(--from "system-user@$PEER_DOMAIN")
to_local=(--to "$LOCAL/TYPE=PLMN@$DOMAIN")
to_system=(--to "system-user@$DOMAIN") # where a peer sends the RES to our requests (our X-Mms-Originator-System)

swaks_check 'MM4_forward.REQ (hand-written, text + image) to a local subscriber: queued' 0 '^250 2\.6\.0 queued as [^ ]+$' \
  "${fwd_from[@]}" "${to_local[@]}" --data "@$HAND/mm4-forward-req.eml"
queued_id=${last_reply##* }
# pino writes asynchronously: the line may follow the 250 by a moment.
logged() { grep -q "\"messageId\":\"$queued_id\".*mm4 forward accepted" "$work/mmsc.log"; }
for _ in $(seq 50); do logged && break; sleep 0.1; done
if logged; then
  ok "the gateway logged the forward accepted as message $queued_id (peer carrier-b)"
else
  bad "no 'mm4 forward accepted' log line for message $queued_id"
fi
swaks_check 'MM4_forward.RES to our originator system: taken' 0 '^250 2\.6\.0 MM4_forward\.RES received$' \
  "${sys_from[@]}" "${to_system[@]}" --data "@$HAND/mm4-forward-res.eml"
swaks_check 'MM4_delivery_report.REQ to the original sender: taken' 0 '^250 2\.6\.0 MM4_delivery_report\.REQ received$' \
  "${sys_from[@]}" "${to_local[@]}" --data "@$HAND/mm4-delivery-report-req.eml"
swaks_check 'MM4_delivery_report.RES to our originator system: taken' 0 '^250 2\.6\.0 MM4_delivery_report\.RES received$' \
  "${sys_from[@]}" "${to_system[@]}" --data "@$HAND/mm4-delivery-report-res.eml"
swaks_check 'MM4_read_reply_report.REQ to the original sender: taken' 0 '^250 2\.6\.0 MM4_read_reply_report\.REQ received$' \
  "${sys_from[@]}" "${to_local[@]}" --data "@$HAND/mm4-read-reply-report-req.eml"
swaks_check 'MM4_read_reply_report.RES to our originator system: taken' 0 '^250 2\.6\.0 MM4_read_reply_report\.RES received$' \
  "${sys_from[@]}" "${to_system[@]}" --data "@$HAND/mm4-read-reply-report-res.eml"
# The public sample (mmsgw's MM4_forward.REQ): its From is '+12345/TYPE=PLMN', 5 digits, no E.164 number
# (at least 7): read liberally as the sending network's short code (src/mm4/inbound-forward.ts), and queued.
swaks_check 'public sample (mmsgw MM4_forward.REQ, From +12345 read as a short code): queued' 0 \
  '^250 2\.6\.0 queued as ' --from "mms_events@mmsgw.local.example" "${to_local[@]}" --data "@$SAMPLE"

swaks_check 'relay attempt (RCPT TO in another carrier'"'"'s domain): refused at RCPT' 24 '^550 5\.7\.1 relay denied' \
  "${fwd_from[@]}" --to "+15550001111/TYPE=PLMN@mms.mnc003.mcc001.gprs" --data "@$HAND/mm4-forward-req.eml"
swaks_check 'relay attempt (RCPT TO an e-mail domain): refused at RCPT' 24 '^550 5\.7\.1 relay denied' \
  "${fwd_from[@]}" --to "someone@example.org" --data "@$HAND/mm4-forward-req.eml"
# 127.0.0.2 is loopback too, but no peer is allowed from it (default deny): refused at the greeting.
swaks_check 'unknown source address (127.0.0.2): refused at the greeting' 21 '^554 5\.7\.1 ' \
  --local-interface 127.0.0.2 "${fwd_from[@]}" "${to_local[@]}" --data "@$HAND/mm4-forward-req.eml"

# An MM4_forward.REQ over mm4.maxMessageBytes: the hand-written headers and a base64 part of ~96 KB (made
# here, random bytes: no vector).
{
  sed -n '1,/^\r\?$/p' "$HAND/mm4-forward-req.eml" | sed -e 's/hw-fwd-0001/hw-big-0001/; s/hw-msg-0001/hw-big-msg-0001/'
  printf -- '--hw-boundary-1\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n\r\n'
  head -c 72000 /dev/urandom | base64 -w 76 | sed 's/$/\r/'
  printf -- '--hw-boundary-1--\r\n'
} >"$work/oversize.eml"
swaks_check "oversize MM4_forward.REQ ($(stat -c %s "$work/oversize.eml") bytes, limit $MAX_BYTES): refused after DATA" 26 '^552 ' \
  "${fwd_from[@]}" "${to_local[@]}" --data "@$work/oversize.eml"
swaks_check 'malformed MIME (multipart without a boundary): refused after DATA' 26 '^554 5\.6\.0 ' \
  "${fwd_from[@]}" "${to_local[@]}" --data "@$HAND/mm4-forward-req-malformed-mime.eml"
if ended "$gw_pid"; then bad 'the gateway exited during the swaks checks'; else ok 'the gateway is still running after them'; fi

# The ops metrics: mmsc_mm4_messages_total by type and result (labels in any order).
metrics=$(node -e 'fetch(process.argv[1]).then((r) => r.text()).then((t) => process.stdout.write(t), () => process.exit(1))' "$ops_url/metrics" || true)
count() { # count TYPE RESULT -> the counter's value for peer carrier-b, or 0
  printf '%s\n' "$metrics" | awk -v t="type=\"$1\"" -v r="result=\"$2\"" '
    /^mmsc_mm4_messages_total\{/ && index($0, t) && index($0, r) && index($0, "peer=\"carrier-b\"") { v += $NF }
    END { print v + 0 }'
}
for expect in 'MM4_forward.REQ accepted 2' 'MM4_forward.RES accepted 1' 'MM4_delivery_report.REQ accepted 1' \
  'MM4_delivery_report.RES accepted 1' 'MM4_read_reply_report.REQ accepted 1' 'MM4_read_reply_report.RES accepted 1' \
  'unparsed message-too-large 1' 'unparsed format-corrupt 1'; do
  read -r type result want <<<"$expect"
  got=$(count "$type" "$result")
  if [ "$got" = "$want" ]; then ok "metric mmsc_mm4_messages_total{type=$type,result=$result} = $got"; else bad "metric mmsc_mm4_messages_total{type=$type,result=$result} = $got, want $want"; fi
done

# ---------------------------------------------------------------------------------------------------------
# 2. Our outbound -> a private Postfix instance requiring STARTTLS.

TLS_PORT=$(free_port)
PLAIN_PORT=$(free_port)
[ "$TLS_PORT" != "$PLAIN_PORT" ] || PLAIN_PORT=$(free_port)
pf=$work/postfix
mkdir -p "$pf" "$work/queue" "$work/data" "$work/mail"
chown postfix "$work/data" "$work/mail"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=localhost' -addext 'subjectAltName=IP:127.0.0.1,DNS:localhost' \
  -keyout "$pf/key.pem" -out "$pf/cert.pem" 2>/dev/null || fatal 'openssl could not make a self-signed certificate'
chmod 600 "$pf/key.pem"
cp /etc/postfix/master.cf "$pf/master.cf"
cat >"$pf/main.cf" <<EOF
# A private instance for this check only: loopback, its own queue, data and log under $work.
compatibility_level = 3.6
queue_directory = $work/queue
data_directory = $work/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = $work/maillog
maillog_file_prefixes = $work
myhostname = mmsc-peer.localhost
mydomain = localhost
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
alias_maps =
alias_database =
biff = no
# The peer's MMS domain (MM4) and an e-mail domain (MM3), delivered to one Maildir (the local part '+N/TYPE=PLMN' is no Unix user).
virtual_mailbox_domains = $PEER_DOMAIN example.org
virtual_mailbox_base = $work/mail
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:$(id -u postfix)
virtual_gid_maps = static:$(id -g postfix)
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
# STARTTLS required (RFC 3207 §4: 530 to anything else first), logged, and named in Received:.
smtpd_tls_security_level = encrypt
smtpd_tls_cert_file = $pf/cert.pem
smtpd_tls_key_file = $pf/key.pem
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
EOF
# No chroot (the queue is not a prepared jail); smtpd on our two loopback ports only, the second without TLS.
postconf -c "$pf" -F '*/*/chroot = n'
postconf -c "$pf" -M# smtp/inet
postconf -c "$pf" -M "127.0.0.1:$TLS_PORT/inet = 127.0.0.1:$TLS_PORT inet n - n - - smtpd"
postconf -c "$pf" -M "127.0.0.1:$PLAIN_PORT/inet = 127.0.0.1:$PLAIN_PORT inet n - n - - smtpd -o syslog_name=postfix-plain -o smtpd_tls_security_level=none"
check_out=$(postfix -c "$pf" check 2>&1) || fatal "postfix check failed: $check_out"
pf_started=1
postfix -c "$pf" start >/dev/null 2>&1 || { tail -5 "$work/maillog" 2>/dev/null; fatal "postfix -c $pf start failed"; }
listening() { ss -Hltn "sport = :$1" | grep -q .; }
for _ in $(seq 100); do listening "$TLS_PORT" && listening "$PLAIN_PORT" && break; sleep 0.1; done
{ listening "$TLS_PORT" && listening "$PLAIN_PORT"; } || { tail -10 "$work/maillog"; fatal "Postfix does not listen on 127.0.0.1:$TLS_PORT and :$PLAIN_PORT"; }
ok "Postfix $(postconf -c "$pf" -h mail_version) (private instance) listens on 127.0.0.1:$TLS_PORT (STARTTLS required) and :$PLAIN_PORT (no TLS)"

# Postfix itself refuses a plain-text transaction on the STARTTLS port (swaks, no TLS).
MM4_PORT=$TLS_PORT swaks_check 'Postfix refuses MAIL before STARTTLS (swaks in clear)' 23 '^530 5\.7\.0 ' \
  --from "$LOCAL/TYPE=PLMN@$DOMAIN" --to "$REMOTE/TYPE=PLMN@$PEER_DOMAIN"

status=0
SETUP_PASSED=$passed SETUP_FAILED=$failed TLS_PORT=$TLS_PORT PLAIN_PORT=$PLAIN_PORT CA_FILE="$pf/cert.pem" \
  MAILDIR="$work/mail/inbox" MAILLOG="$work/maillog" node dist/conformance/mm4/outbound.js || status=1
# 3. MM3: an MM to an e-mail address through our relay route into Postfix's mailbox, read by Python's email.
TLS_PORT=$TLS_PORT MAILDIR="$work/mail/inbox" node dist/conformance/mm4/mm3-mailbox.js || status=1
if [ "$status" -ne 0 ]; then echo '--- Postfix maillog (tail)'; tail -20 "$work/maillog" || true; fi
exit "$status"

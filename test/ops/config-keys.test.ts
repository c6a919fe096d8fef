// A test for every documented configuration key (issue 23): for each key of the reference in
// docs/configuration.md (section.key, and the fields of array entries such as mm7.vasps[].rate and
// mm4.peers[].out.port), the documented default is what loadConfig yields, a valid non-default value (ROWS below)
// is taken from the file and, for section keys, from the environment, and a bad value is refused with an error
// naming the key. The defaults come from the documented text, not from the schema, so that a default changed
// in the code but not in the docs fails here. A key without a row fails too: a new key needs one line in ROWS.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { referenceIn } from '../../src/ops/config-reference.js';
import { ConfigError, envForm, envKeys, loadConfig } from '../../src/ops/config.js';
import { selfSigned } from '../helpers/certs.js';
import { ROOT } from '../helpers/paths.js';

type Obj = Record<string, unknown>;

interface Row {
  /** A valid value other than the default, as written in a file. */
  good: unknown;
  /** A value the loader refuses, naming the key. */
  bad: unknown;
  /** What the loader makes of `good`, when not `good` itself (matched with t.match for objects). */
  expect?: unknown;
  /** Other keys `good` and `bad` need: a partial config for a section key, a partial entry for an entry field. */
  with?: Obj;
  /** For the default check: keys needed for the key to be left out (a partial config or entry). */
  defaultWith?: Obj;
  /** For an "unset" key the loader fills in (derived from other keys): the value it derives from the defaults. */
  unsetMeans?: unknown;
}

const dir = mkdtempSync(join(tmpdir(), 'mmsc-config-keys-'));
const KEY = join(dir, 'dkim.pem');
writeFileSync(KEY, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
const { cert: CERT, key: CERT_KEY } = selfSigned(dir, 'listener', 'localhost');
/** A listener's tls: its certificate and key; asking for client certificates without a CA file is refused. */
const TLS_ROW: Row = {
  good: { certFile: CERT, keyFile: CERT_KEY },
  expect: { certFile: CERT, keyFile: CERT_KEY, clientCert: 'none' },
  bad: { certFile: CERT, keyFile: CERT_KEY, clientCert: 'require' }, // client certificates need caFile
};
const DKIM4 = { mm4: { dkimDomain: 'example.net', dkimSelector: 's1', dkimKeyFile: KEY } };
const DKIM3 = { mm3: { dkimDomain: 'example.net', dkimSelector: 's1', dkimKeyFile: KEY } };
const VASP = { id: 'v', username: 'u', password: 'p', senders: ['12345'] };
const SMSC = { id: 's', host: '127.0.0.1', systemId: 'sys' };
const PEER = { id: 'p', allow: ['192.0.2.1'] };
const TOKEN = { name: 'oncall', token: 'operate-token-0123456789' };

/** The entry each array's fields are tried in, and what the rest of the config needs for it. */
const ARRAYS: Record<string, { entry: Obj; context?: Obj }> = {
  'ops.tokens': { entry: TOKEN },
  'mm7.vasps': { entry: VASP },
  'smpp.smscs': { entry: SMSC },
  'mm4.peers': { entry: PEER, context: { mm4: { domains: ['mms.example.net'] } } },
  'consent.senders': { entry: { sender: '12345' } },
  'content.userAgents': { entry: { name: 'smartphone', match: 'Android', maxMessageBytes: 1_048_576 } },
  'content.routes': { entry: { peer: 'p', maxMessageBytes: 614_400 } },
};
/** The rows of a listener's tls fields (the same schema on every listener). */
function tlsFieldRows(key: string): Record<string, Row> {
  return {
    [`${key}.certFile`]: { good: CERT, bad: '' },
    [`${key}.keyFile`]: { good: CERT_KEY, bad: '' },
    [`${key}.caFile`]: { good: CERT, bad: '' },
    [`${key}.clientCert`]: { good: 'request', bad: 'always', with: { caFile: CERT } },
  };
}

/** The object a section key's fields (ops.tls.certFile) are tried in. */
const OBJECTS: Record<string, Obj> = {
  'ops.tls': { certFile: CERT, keyFile: CERT_KEY },
  'mm7.tls': { certFile: CERT, keyFile: CERT_KEY },
  'mm1.tls': { certFile: CERT, keyFile: CERT_KEY },
  'mm1.webViewTls': { certFile: CERT, keyFile: CERT_KEY },
  'api.media': {},
  'content.uaprof': {},
};
/** What an entry needs for the fields of an object inside it (mm4.peers[].out.*) to be tried. */
const NESTED: Record<string, Obj> = {
  'mm4.peers[].out': { domain: 'mms.peer.example', out: { host: 'mms-in.peer.example' } },
  'mm7.vasps[].clientCert': { clientCert: { fingerprint256: 'CD'.repeat(32) } },
  'consent.senders[].quietHours': { quietHours: { start: '21:00', end: '08:00' } },
};

// One line per key: keep it so, a new key is one more line.
const ROWS: Record<string, Row> = {
  'ops.host': { good: '0.0.0.0', bad: '' },
  'ops.port': { good: 9000, bad: 70000 },
  'ops.tls': TLS_ROW,
  ...tlsFieldRows('ops.tls'),
  ...tlsFieldRows('mm7.tls'),
  ...tlsFieldRows('mm1.tls'),
  ...tlsFieldRows('mm1.webViewTls'),
  'ops.tokens': { good: [TOKEN], expect: [{ name: 'oncall', role: 'read' }], bad: [{ name: 'oncall' }] },
  'ops.tokens[].name': { good: 'grafana', bad: 'a b' },
  'ops.tokens[].token': { good: 'another-token-0123456789', bad: 'short' },
  'ops.tokens[].role': { good: 'operate', bad: 'admin' },
  'api.idempotencyWindowMs': { good: 3_600_000, bad: 1000 },
  'api.webhookRetryForMs': { good: 3_600_000, bad: 1000 },
  'api.media': { good: { maxFileBytes: 2048 }, expect: { maxFileBytes: 2048, maxRedirects: 3 }, bad: { maxFileBytes: 1 } },
  'api.media.maxFileBytes': { good: 2048, bad: 10 },
  'api.media.maxRedirects': { good: 0, bad: 21 },
  'api.media.timeoutMs': { good: 2_000, bad: 1 },
  'api.media.uploadTtlMs': { good: 3_600_000, bad: 10 },
  'api.media.cacheTtlMs': { good: 0, bad: -1 },
  'api.media.allowedTypes': { good: ['image/png'], bad: ['PNG'] },
  'mm7.vasps[].mediaUrlAllow': { good: ['10.1.0.0/16'], bad: ['10.1.0.1/16'] },
  'consent.senders': { good: [{ sender: '12345' }], bad: [{}] },
  'consent.senders[].sender': { good: '*', bad: '' },
  // -- consent.senders[]: frequency caps and quiet hours
  'consent.senders[].maxPerDay': { good: 3, bad: 0 },
  'consent.senders[].maxPerWeek': { good: 10, bad: 1.5 },
  'consent.senders[].overCap': { good: 'refuse', bad: 'drop' },
  'consent.senders[].quietHours': { good: { start: '21:00', end: '08:00' }, bad: { start: '21:00', end: '21:00' } },
  'consent.senders[].quietHours.start': { good: '22:00', bad: '25:00' },
  'consent.senders[].quietHours.end': { good: '07:30', bad: '7:30' },
  'consent.senders[].fallbackTimeZone': { good: 'America/New_York', bad: 'Mars/Olympus_Mons' },
  'consent.senders[].helpText': { good: 'Acme alerts. Reply STOP to stop.', bad: 5 },
  'consent.senders[].doubleOptIn': { good: true, bad: 'maybe' },
  'consent.senders[].confirmText': { good: 'Reply YES', bad: 5 },
  'consent.senders[].optInReply': { good: 'Subscribed', bad: 5 },
  'consent.senders[].joinKeywords': { good: ['JOIN'], bad: [''] },
  'consent.senders[].confirmKeywords': { good: ['OUI'], bad: [''] },
  'consent.marketingNeedsOptIn': { good: false, bad: 'maybe' },
  'consent.importMaxBytes': { good: 1_048_576, bad: 10 },
  // -- content (issue 25)
  'content.allowedTypes': { good: ['image/jpeg'], bad: ['JPEG'] },
  'content.maxImageWidth': { good: 1600, bad: 8 },
  'content.maxImageHeight': { good: 1200, bad: 100_000 },
  'content.userAgents': {
    good: [{ name: 'smartphone', match: 'Android', maxMessageBytes: 1_048_576 }],
    bad: [{ name: 'x', match: '(', maxMessageBytes: 1_048_576 }],
  },
  'content.userAgents[].name': { good: 'feature', bad: '' },
  'content.userAgents[].match': { good: 'Nokia', bad: '[' },
  'content.userAgents[].maxMessageBytes': { good: 307_200, bad: 10 },
  'content.userAgents[].maxImageWidth': { good: 1600, bad: 0 },
  'content.userAgents[].maxImageHeight': { good: 1200, bad: 0 },
  'content.userAgents[].contentTypes': { good: ['image/*'], bad: ['IMAGE'] },
  'content.routes': { good: [{ prefix: '+44', maxMessageBytes: 614_400 }], bad: [{ maxMessageBytes: 614_400 }] },
  'content.routes[].peer': { good: 'q', bad: '', defaultWith: { prefix: '+1' } },
  'content.routes[].prefix': { good: '+4479', bad: '44a' },
  'content.routes[].maxMessageBytes': { good: 537_600, bad: 1 },
  'content.routes[].maxImageWidth': { good: 1280, bad: 1 },
  'content.routes[].maxImageHeight': { good: 960, bad: 1 },
  'content.uaprof': { good: { timeoutMs: 2_000 }, expect: { timeoutMs: 2_000, fetch: true }, bad: { timeoutMs: 1 } },
  'content.uaprof.fetch': { good: false, bad: 'maybe' },
  'content.uaprof.timeoutMs': { good: 2_000, bad: 1 },
  'content.uaprof.waitMs': { good: 0, bad: -1 },
  'content.uaprof.maxBytes': { good: 65_536, bad: 10 },
  'content.uaprof.ttlMs': { good: 86_400_000, bad: 10 },
  'content.uaprof.failureTtlMs': { good: 60_000, bad: 10 },
  'content.ffmpegPath': { good: '/usr/local/bin/ffmpeg', bad: 5 },
  'content.ffmpegTimeoutMs': { good: 60_000, bad: 10 },
  'content.jpegMinQuality': { good: 50, bad: 0 },
  'content.jpegMaxQuality': { good: 90, bad: 101 },
  'content.imageAdapter': { good: 'inline', bad: 'thread' },
  'log.level': { good: 'debug', bad: 'loud' },
  'log.maskNumbers': { good: false, bad: 'maybe' },
  'redis.url': { good: 'redis://127.0.0.1:6380/1', bad: 'http://127.0.0.1:6379' },
  'redis.cluster': { good: ['127.0.0.1:7000', '127.0.0.1:7001'], bad: ['nohost'] },
  'queue.prefix': { good: 'mmsc-b', bad: 'a b' },
  'queue.shards': { good: 16, bad: 0 },
  'queue.leaseMs': { good: 30_000, bad: 10 },
  'queue.maxAttempts': { good: 3, bad: 0 },
  'queue.retentionMs': { good: 3_600_000, bad: -1 },
  'queue.concurrency': { good: 8, bad: 0 },
  'queue.retryBaseMs': { good: 1000, bad: 0 },
  'queue.retryMaxMs': { good: 60_000, bad: 0 },
  'queue.memoryMaxMessages': { good: 1000, bad: 0 },
  'queue.memoryMaxBytes': { good: 2_097_152, bad: 1000 },
  'mm7.enabled': { good: false, bad: 'maybe' },
  'mm7.host': { good: '::1', bad: '' },
  'mm7.port': { good: 8080, bad: -1 },
  'mm7.relayServerId': { good: 'relay-1', bad: '' },
  'mm7.maxBodyBytes': { good: 2048, bad: 100 },
  'mm7.tls': TLS_ROW,
  'mm7.trustedProxies': { good: ['10.0.0.0/8'], bad: ['10.0.0.0/33'] },
  'mm7.maxElements': { good: 100, bad: 1 },
  'mm7.maxAttributes': { good: 100, bad: 1 },
  'mm7.maxXmlTokens': { good: 1000, bad: 1 },
  'mm7.maxEnvelopeBytes': { good: 4096, bad: 1 },
  'mm7.maxInFlightBodyBytes': { good: 4096, bad: 1 },
  'mm7.requestTimeoutMs': { good: 5000, bad: 1 },
  'mm7.headersTimeoutMs': { good: 5000, bad: 1 },
  'mm7.defaultExpiryMs': { good: 86_400_000, bad: 1000 },
  'mm7.maxExpiryMs': { good: 86_400_000, bad: 1000 },
  'mm7.clientTimeoutMs': { good: 5000, bad: 1 },
  'mm7.submitRetryWindowMs': { good: 0, bad: -1 },
  'mm7.maxRecipients': { good: 10, bad: 0 },
  'mm7.vasps': { good: [VASP], expect: [{ id: 'v', rate: 50 }], bad: [{ id: 'v' }] },
  'mm1.enabled': { good: false, bad: 'yes' },
  'mm1.host': { good: '0.0.0.0', bad: '' },
  'mm1.port': { good: 8191, bad: 65536 },
  'mm1.publicUrl': { good: 'https://mms.example.net/mms', bad: 'https://mms.example.net/', unsetMeans: 'http://127.0.0.1:8190' },
  'mm1.tokenSecret': { good: 'a-secret-of-16-chars', bad: 'short' },
  'mm1.msisdnHeader': { good: 'x-up-calling-line-id', bad: 'x msisdn' },
  'mm1.msisdnFormat': { good: 'international', bad: 'local' },
  'mm1.trustedProxies': { good: ['10.0.0.0/8'], bad: ['10.0.0.0/33'] },
  'mm1.localPrefixes': { good: ['+4479'], bad: ['4479'] },
  'mm1.defaultCountryCode': { good: '44', bad: '0044' },
  'mm1.push': { good: 'pap', bad: 'sms', with: { mm1: { papUrl: 'http://127.0.0.1:9000/pap' } } },
  'mm1.papUrl': { good: 'http://127.0.0.1:9000/pap', bad: 'not a url' },
  'mm1.papAddressDomain': { good: 'ppg.example.net', bad: '' },
  'mm1.papTimeoutMs': { good: 5000, bad: 1 },
  'mm1.pushRate': { good: 10, bad: 0 },
  'mm1.pushMaxInFlight': { good: 10, bad: 0 },
  'mm1.maxPushes': { good: 1, bad: 0 },
  'mm1.renotifyMs': { good: 60_000, bad: 10 },
  'mm1.fallbackAfterMs': { good: 600_000, bad: -1 },
  'mm1.maxMessageBytes': { good: 102_400, bad: 10 },
  'mm1.contentTypes': { good: ['image/*', 'text/plain'], bad: ['image'] },
  'mm1.maxBodyBytes': { good: 4096, bad: 10 },
  'mm1.submitRate': { good: 0, bad: -1 },
  'mm1.submitBurst': { good: 50, bad: 0 },
  'mm1.submitMaxInFlight': { good: 1, bad: 0 },
  'mm1.maxRecipients': { good: 10, bad: 500 },
  'mm1.requestTimeoutMs': { good: 5000, bad: 1 },
  'mm1.headersTimeoutMs': { good: 5000, bad: 1 },
  'mm1.defaultExpiryMs': { good: 86_400_000, bad: 1000 },
  'mm1.maxExpiryMs': { good: 86_400_000, bad: 1000 },
  'mm1.webViewHost': { good: '0.0.0.0', bad: '' },
  'mm1.webViewPort': { good: 8191, bad: 65536 },
  'mm1.tls': TLS_ROW,
  'mm1.webViewTls': TLS_ROW,
  'mm1.webViewPublicUrl': { good: 'https://view.example.net', bad: 'ftp://view.example.net', unsetMeans: 'http://127.0.0.1:8190' },
  'mm4.enabled': { good: true, bad: 'on', with: { mm4: { domains: ['mms.example.net'] } } },
  'mm4.host': { good: '0.0.0.0', bad: '' },
  'mm4.port': { good: 2526, bad: 99_999 },
  'mm4.domains': { good: ['MMS.Example.NET'], expect: ['mms.example.net'], bad: ['localhost'] },
  'mm4.maxMessageBytes': { good: 1_048_576, bad: 10 },
  'mm4.maxRecipients': { good: 10, bad: 0 },
  'mm4.idleTimeoutMs': { good: 1000, bad: 1 },
  'mm4.dataTimeoutMs': { good: 1000, bad: 1 },
  'mm4.maxConnections': { good: 10, bad: 0 },
  'mm4.defaultExpiryMs': { good: 86_400_000, bad: 1000 },
  'mm4.maxExpiryMs': { good: 86_400_000, bad: 1000 },
  'mm4.peers': { good: [PEER], expect: [{ id: 'p', rate: 100 }], bad: [{ id: 'p' }] },
  'mm4.tlsMode': { good: 'starttls', bad: 'ssl', with: { mm4: { tlsCertFile: '/etc/mmsc/cert.pem', tlsKeyFile: '/etc/mmsc/key.pem' } } },
  'mm4.tlsCertFile': { good: '/etc/mmsc/cert.pem', bad: '' },
  'mm4.tlsKeyFile': { good: '/etc/mmsc/key.pem', bad: '' },
  'mm4.tlsAllowInsecureAuth': { good: true, bad: 'sure' },
  'mm4.maxInFlightDataBytes': { good: 2048, bad: 10 },
  'mm4.duplicateWindowMs': { good: 0, bad: -1 },
  'mm4.dkimDomain': { good: 'example.net', bad: '', with: DKIM4 },
  'mm4.dkimSelector': { good: 's1', bad: '', with: DKIM4 },
  'mm4.dkimKeyFile': { good: KEY, bad: join(dir, 'absent.pem'), with: DKIM4 },
  'mm3.enabled': { good: true, bad: 'nope', with: { mm3: { domain: 'mms.example.net' } } },
  'mm3.domain': { good: 'MMS.Example.NET', expect: 'mms.example.net', bad: 'localhost' },
  'mm3.host': { good: '0.0.0.0', bad: '' },
  'mm3.port': { good: 2527, bad: 70_000 },
  'mm3.relays': { good: ['192.0.2.0/24'], bad: ['300.1.1.1'] },
  'mm3.maxMessageBytes': { good: 1_048_576, bad: 10 },
  'mm3.maxRecipients': { good: 10, bad: 0 },
  'mm3.idleTimeoutMs': { good: 1000, bad: 1 },
  'mm3.dataTimeoutMs': { good: 1000, bad: 1 },
  'mm3.maxConnections': { good: 10, bad: 0 },
  'mm3.inboundRate': { good: 5, bad: 0 },
  'mm3.inboundBurst': { good: 5, bad: 0 },
  'mm3.defaultExpiryMs': { good: 86_400_000, bad: 1000 },
  'mm3.relayHost': { good: 'smtp.example.net', bad: '' },
  'mm3.relayPort': { good: 587, bad: 0 },
  'mm3.relayTls': { good: 'implicit', bad: 'tls' },
  'mm3.relayUser': { good: 'relay-user', bad: '', with: { mm3: { relayPassword: 'relay-pw' } } },
  'mm3.relayPassword': { good: 'relay-pw', bad: '', with: { mm3: { relayUser: 'relay-user' } } },
  'mm3.relayMaxConnections': { good: 1, bad: 0 },
  'mm3.relayRate': { good: 5, bad: 0 },
  'mm3.relayBurst': { good: 5, bad: 0 },
  'mm3.dkimDomain': { good: 'example.net', bad: '', with: DKIM3 },
  'mm3.dkimSelector': { good: 's1', bad: '', with: DKIM3 },
  'mm3.dkimKeyFile': { good: KEY, bad: join(dir, 'absent.pem'), with: DKIM3 },
  'outbound.allow': { good: ['10.0.0.0/8'], bad: ['nope'] },
  'portability.file': { good: '/etc/mmsc/ported.csv', bad: '' },
  'portability.redis': { good: true, bad: 'x' },
  'portability.enumEnabled': { good: true, bad: 'x' },
  'portability.enumApex': { good: 'e164enum.net', bad: 'nodot' },
  'portability.enumServers': { good: ['127.0.0.1:53'], bad: [''] },
  'portability.timeoutMs': { good: 100, bad: 1 },
  'portability.cacheTtlMs': { good: 0, bad: -1 },
  'portability.negativeTtlMs': { good: 0, bad: -1 },
  'portability.maxEntries': { good: 10, bad: -1 },
  'smpp.smscs': { good: [SMSC], expect: [{ id: 's', port: 2775 }], bad: [{ id: 's' }] },
  'smpp.viewUrl': { good: 'https://v.example/m/{token}', bad: 'https://v.example/m/' },
  'smpp.stopKeywords': { good: ['HALT'], bad: [''] },
  'smpp.startKeywords': { good: ['GO'], bad: [''] },
  'smpp.stopReply': { good: 'Bye.', bad: 42 },
  'smpp.startReply': { good: 'Welcome back.', bad: 42 },
  'mm7.vasps[].id': { good: 'vasp-b', bad: 'a b' },
  'mm7.vasps[].username': { good: 'user-b', bad: '' },
  'mm7.vasps[].password': { good: 'pw-b', bad: '', defaultWith: { clientCert: { subject: 'vasp.example' } } },
  'mm7.vasps[].clientCert': { good: { subject: 'vasp.example' }, bad: {} },
  'mm7.vasps[].clientCert.subject': { good: 'vasp-b.example', bad: '' },
  'mm7.vasps[].clientCert.fingerprint256': {
    good: 'AB'.repeat(32),
    bad: 'AB:CD',
    with: { clientCert: { subject: 'vasp.example' } },
    defaultWith: { clientCert: { subject: 'vasp.example' } },
  },
  'mm7.vasps[].allowIps': { good: ['192.0.2.1'], bad: [''] },
  'mm7.vasps[].senders': { good: ['+15551234567'], bad: ['MMSC'] },
  'mm7.vasps[].maxMessageBytes': { good: 1024, bad: 0 },
  'mm7.vasps[].rate': { good: 5, bad: 0 },
  'mm7.vasps[].burst': { good: 5, bad: 0 },
  'mm7.vasps[].maxInFlight': { good: 1, bad: 0 },
  'mm7.vasps[].url': { good: 'http://127.0.0.1:9001/mm7', bad: 'nope' },
  'mm7.vasps[].callbackUrlPrefixes': { good: ['https://cb.example/hooks'], bad: ['https://cb.example/?q=1'] },
  'mm7.vasps[].version': { good: 'REL-5-MM7-1-2', bad: 'REL-9' },
  'mm7.vasps[].deliveryRate': { good: 5, bad: 0 },
  'mm7.vasps[].deliveryBurst': { good: 5, bad: 0 },
  'mm7.vasps[].deliveryMaxInFlight': { good: 1, bad: 0 },
  'mm7.vasps[].apiKeys': {
    good: [{ name: 'ci', hash: `sha256:${'ab'.repeat(32)}`, scope: 'send' }],
    bad: [{ name: 'ci', hash: 'md5:ab' }],
  },
  'mm7.vasps[].webhookSecrets': { good: ['whsec-0123456789abcdef'], bad: ['short'] },
  'mm7.vasps[].webhookFailoverUrl': { good: 'https://hooks2.example/mms', bad: 'nope' },
  'mm7.vasps[].defaultRegion': { good: 'GB', bad: 'XX' },
  'mm4.peers[].id': { good: 'peer-b', bad: 'a b' },
  'mm4.peers[].domain': { good: 'MMS.Peer.Example', expect: 'mms.peer.example', bad: 'nodot' },
  'mm4.peers[].prefixes': { good: ['+4479'], bad: ['4479'], with: NESTED['mm4.peers[].out'] },
  'mm4.peers[].allow': { good: ['192.0.2.0/24'], bad: ['nope'], defaultWith: { authUser: 'u', authPassword: 'p' } },
  'mm4.peers[].authUser': { good: 'u', bad: '', with: { authPassword: 'p' } },
  'mm4.peers[].authPassword': { good: 'p', bad: '', with: { authUser: 'u' } },
  'mm4.peers[].rate': { good: 5, bad: 0 },
  'mm4.peers[].burst': { good: 5, bad: 0 },
  'mm4.peers[].maxInFlight': { good: 1, bad: 0 },
  'mm4.peers[].maxConnections': { good: 1, bad: 0 },
  'mm4.peers[].out': {
    good: { host: 'h.example' },
    expect: { host: 'h.example', port: 25 },
    bad: { port: 25 },
    with: { domain: 'mms.peer.example' },
  },
  'mm4.peers[].out.host': { good: 'mms.peer.example', bad: '', defaultWith: { out: { mx: true } } },
  'mm4.peers[].out.port': { good: 587, bad: 0 },
  'mm4.peers[].out.mx': { good: true, bad: 'perhaps' },
  'mm4.peers[].out.tls': { good: 'implicit', bad: 'ssl' },
  'mm4.peers[].out.caFile': { good: KEY, bad: join(dir, 'absent-ca.pem') },
  'mm4.peers[].out.authUser': { good: 'u', bad: '', with: { out: { authPassword: 'p' } } },
  'mm4.peers[].out.authPassword': { good: 'p', bad: '', with: { out: { authUser: 'u' } } },
  'mm4.peers[].out.envelopeForm': { good: 'plain', bad: 'x' },
  'mm4.peers[].out.originatorSystem': { good: 'system-user@mms.example.net', bad: '' },
  'mm4.peers[].out.ackRequest': { good: true, bad: 'yes' },
  'mm4.peers[].out.resTimeoutMs': { good: 1000, bad: 1 },
  'mm4.peers[].out.onMissingRes': { good: 'resend', bad: 'drop' },
  'mm4.peers[].out.maxMessageBytes': { good: 2048, bad: 10 },
  'mm4.peers[].out.rate': { good: 5, bad: 0 },
  'mm4.peers[].out.burst': { good: 5, bad: 0 },
  'mm4.peers[].out.maxConnections': { good: 1, bad: 0 },
  'mm4.peers[].out.connectTimeoutMs': { good: 1000, bad: 1 },
  'mm4.peers[].out.greetingTimeoutMs': { good: 1000, bad: 1 },
  'mm4.peers[].out.socketTimeoutMs': { good: 1000, bad: 1 },
  'smpp.smscs[].id': { good: 'smsc-b', bad: 'a b' },
  'smpp.smscs[].host': { good: 'smsc.example.net', bad: '' },
  'smpp.smscs[].port': { good: 2776, bad: 0 },
  'smpp.smscs[].systemId': { good: 'sys2', bad: 'x'.repeat(16) },
  'smpp.smscs[].password': { good: 'pw', bad: 'toolongpw' },
  'smpp.smscs[].systemType': { good: 'VMA', bad: 'x'.repeat(13) },
  'smpp.smscs[].bindMode': { good: 'transmitter+receiver', bad: 'receiver' },
  'smpp.smscs[].window': { good: 1, bad: 0 },
  'smpp.smscs[].enquireLinkMs': { good: 5000, bad: 10 },
  'smpp.smscs[].prefixes': { good: ['+44'], bad: ['x'] },
  'smpp.smscs[].rate': { good: 5, bad: 0 },
  'smpp.smscs[].burst': { good: 5, bad: 0 },
  'smpp.smscs[].maxInFlight': { good: 1, bad: 0 },
  'smpp.smscs[].registeredDelivery': { good: false, bad: 'x' },
  'smpp.smscs[].sourceAddr': { good: 'INFO', bad: '' },
  'smpp.smscs[].messagePayload': { good: true, bad: 'x' },
};

// ---- the documented keys and defaults ----

const doc = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
const block = referenceIn(doc);
/** [key, default cell] of every row of the documented reference. */
const documented: [string, string][] = (block ?? '')
  .split('\n')
  .filter((l) => l.startsWith('| `'))
  .map((l) => {
    const cells = l.slice(2, -2).split(' | ');
    // key | env | default | description, or, for entry fields, field | default | description.
    return [cells[0]!.replace(/`/g, ''), cells[cells.length === 4 ? 2 : 1]!];
  });

type Documented = { kind: 'unset' } | { kind: 'required' } | { kind: 'value'; text: string };

/** A default cell: `value` (with a unit after it, e.g. "(7 days)"), "unset" or "required". */
function parseDefault(cell: string): Documented {
  if (cell === 'unset' || cell === 'required') return { kind: cell };
  const m = /^`([^`]*)`(?: \([^)]*\))?$/.exec(cell);
  if (!m) throw new Error(`unreadable default ${cell}`);
  return { kind: 'value', text: m[1] === '""' ? '' : m[1]! };
}

/** Whether a loaded value is the documented text (a list as its environment form, or JSON). */
function isDocumented(actual: unknown, text: string, form: 'list' | 'json' | undefined): boolean {
  if (Array.isArray(actual)) return (form === 'list' && actual.length > 0 ? actual.join(',') : JSON.stringify(actual)) === text;
  return String(actual) === text;
}

// ---- helpers ----

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function merge(...parts: (Obj | undefined)[]): Obj {
  const out: Obj = {};
  for (const p of parts)
    for (const [k, v] of Object.entries(p ?? {})) out[k] = isObj(v) && isObj(out[k]) ? merge(out[k] as Obj, v) : structuredClone(v);
  return out;
}
function setIn(o: Obj, path: string[], v: unknown): Obj {
  const out = structuredClone(o);
  let at = out;
  for (const seg of path.slice(0, -1)) at = (at[seg] = isObj(at[seg]) ? at[seg] : {}) as Obj;
  if (v === undefined) delete at[path.at(-1)!];
  else at[path.at(-1)!] = v;
  return out;
}
function getIn(o: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((v, seg) => (v as Record<string | number, unknown> | undefined)?.[seg], o);
}

let n = 0;
/** loadConfig with `config` as a file (and `env`): the config, or the ConfigError's message. */
function load(config: Obj, env: NodeJS.ProcessEnv = {}): { config?: Obj; error?: string } {
  const file = join(dir, `c${n++}.json`);
  writeFileSync(file, JSON.stringify(config));
  try {
    return { config: loadConfig({ file, env }) as unknown as Obj };
  } catch (e) {
    if (e instanceof ConfigError) return { error: e.message };
    throw e;
  }
}

/** The error names `key` (dotted, indexes included) or something under it. */
function namesKey(error: string | undefined, key: string): boolean {
  const escaped = key.replace(/[.[\]]/g, (c) => `\\${c}`);
  return error !== undefined && new RegExp(`(?:^invalid configuration: |; )${escaped}(?:\\.\\w+)*: `).test(error);
}

function checkValue(t: Test, actual: unknown, expected: unknown, what: string): void {
  if (typeof expected === 'object' && expected !== null) t.match(actual, expected, what);
  else t.equal(actual, expected, what);
}

// ---- the tests ----

t.test('docs/configuration.md has the reference, and every key in it has a row here (and no row is stale)', async (t) => {
  t.ok(block !== undefined, 'the generated block is there');
  t.ok(documented.length > 150, `${documented.length} keys documented`);
  const keys = new Set(documented.map(([k]) => k));
  for (const key of keys) if (!(key in ROWS)) t.fail(`${key}: no row in ROWS (add one line: a valid non-default value and a bad one)`);
  for (const key of Object.keys(ROWS)) if (!keys.has(key)) t.fail(`${key}: a row for a key the reference does not document`);
});

const envName = new Map([...envKeys()].map(([name, path]) => [path.join('.'), name] as const).reverse());

for (const [key, cell] of documented) {
  const row = ROWS[key];
  if (row === undefined) continue; // failed above
  const dflt = parseDefault(cell);
  const entryAt = key.indexOf('[].');
  if (entryAt < 0 && key.split('.').length === 3) {
    // A field of a section key that is an object (ops.tls.certFile): tried inside the object OBJECTS gives.
    const [section, name, field] = key.split('.') as [string, string, string];
    t.test(key, async (t) => {
      const object = OBJECTS[`${section}.${name}`];
      if (object === undefined) return void t.fail(`${section}.${name}: no base object in OBJECTS`);
      const config = (value: Obj) => ({ [section]: { [name]: value } });
      const d = load(config(setIn(merge(object, row.defaultWith), [field], undefined)));
      if (dflt.kind === 'required') t.ok(namesKey(d.error, key), `left out: refused naming ${key}: ${d.error}`);
      else {
        t.equal(d.error, undefined, 'loads without the field');
        const actual = getIn(d.config, [section, name, field]);
        if (dflt.kind === 'unset') t.strictSame(actual, row.unsetMeans, 'documented unset');
        else t.ok(isDocumented(actual, dflt.text, 'json'), `documented default ${dflt.text}, loaded ${JSON.stringify(actual)}`);
      }
      const good = load(config(setIn(merge(object, row.with), [field], row.good)));
      t.equal(good.error, undefined, 'the good value loads');
      checkValue(t, getIn(good.config, [section, name, field]), row.expect ?? row.good, 'taken');
      const bad = load(config(setIn(merge(object, row.with), [field], row.bad)));
      t.ok(namesKey(bad.error, key), `${JSON.stringify(row.bad)} refused naming ${key}: ${bad.error}`);
    });
  } else if (entryAt < 0) {
    const [section, name] = key.split('.') as [string, string];
    t.test(key, async (t) => {
      // Default: the key left out.
      const d = load(merge(row.defaultWith));
      if (dflt.kind === 'required') t.ok(namesKey(d.error, key), `left out: refused naming ${key}: ${d.error}`);
      else {
        t.equal(d.error, undefined, 'loads without the key');
        const actual = getIn(d.config, [section, name]);
        if (dflt.kind === 'unset')
          t.strictSame(actual, row.unsetMeans, `documented unset${row.unsetMeans !== undefined ? ' (derived)' : ''}`);
        else t.ok(isDocumented(actual, dflt.text, envForm(key)), `documented default ${dflt.text}, loaded ${JSON.stringify(actual)}`);
      }
      // Override: from the file, then from the environment.
      const expected = row.expect ?? row.good;
      const fromFile = load(merge(row.with, { [section]: { [name]: row.good } }));
      t.equal(fromFile.error, undefined, 'the good value loads from a file');
      checkValue(t, getIn(fromFile.config, [section, name]), expected, 'taken from the file');
      t.notOk(dflt.kind === 'value' && isDocumented(expected, dflt.text, envForm(key)), 'the good value is not the default');
      const form = envForm(key);
      const envValue = Array.isArray(row.good)
        ? form === 'list'
          ? row.good.join(',')
          : JSON.stringify(row.good)
        : typeof row.good === 'object'
          ? JSON.stringify(row.good)
          : String(row.good);
      const fromEnv = load(merge(row.with), { [envName.get(key)!]: envValue });
      t.equal(fromEnv.error, undefined, `the good value loads from ${envName.get(key)}`);
      checkValue(t, getIn(fromEnv.config, [section, name]), expected, 'taken from the environment');
      // Bad value: refused, naming the key.
      const bad = load(merge(row.with, { [section]: { [name]: row.bad } }));
      t.ok(namesKey(bad.error, key), `${JSON.stringify(row.bad)} refused naming ${key}: ${bad.error}`);
    });
  } else {
    const arrayKey = key.slice(0, entryAt);
    const field = key.slice(entryAt + 3).split('.');
    const [section, name] = arrayKey.split('.') as [string, string];
    const array = ARRAYS[arrayKey];
    const nested = field.length > 1 ? NESTED[`${arrayKey}[].${field.slice(0, -1).join('.')}`] : undefined;
    t.test(key, async (t) => {
      if (array === undefined) return void t.fail(`${arrayKey}: no base entry in ARRAYS`);
      if (field.length > 1 && nested === undefined) return void t.fail(`${key}: no base in NESTED for its object`);
      const config = (entry: Obj) => merge(array.context, { [section]: { [name]: [entry] } });
      const base = merge(array.entry, nested);
      const at = [section, name, 0, ...field];
      const named = `${arrayKey}.0.${field.join('.')}`;
      // Default: the field left out of an entry.
      const d = load(config(setIn(merge(base, row.defaultWith), field, undefined)));
      if (dflt.kind === 'required') t.ok(namesKey(d.error, named), `left out: refused naming ${named}: ${d.error}`);
      else {
        t.equal(d.error, undefined, 'loads without the field');
        const actual = getIn(d.config, at);
        if (dflt.kind === 'unset') t.strictSame(actual, row.unsetMeans, 'documented unset');
        else t.ok(isDocumented(actual, dflt.text, 'json'), `documented default ${dflt.text}, loaded ${JSON.stringify(actual)}`);
      }
      const good = load(config(setIn(merge(base, row.with), field, row.good)));
      t.equal(good.error, undefined, 'the good value loads');
      checkValue(t, getIn(good.config, at), row.expect ?? row.good, 'taken');
      t.notOk(dflt.kind === 'value' && isDocumented(row.expect ?? row.good, dflt.text, 'json'), 'the good value is not the default');
      const bad = load(config(setIn(merge(base, row.with), field, row.bad)));
      t.ok(namesKey(bad.error, named), `${JSON.stringify(row.bad)} refused naming ${named}: ${bad.error}`);
    });
  }
}

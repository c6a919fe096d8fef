import t from 'tap';
import { ConfigError, loadConfig } from '../../src/ops/config.js';

const fails = (env: Record<string, string>, key: RegExp) => {
  t.throws(() => loadConfig({ env }), ConfigError);
  try {
    loadConfig({ env });
  } catch (e) {
    t.match((e as Error).message, key);
  }
};

t.test('MM1 configuration is validated at start, naming the key', async () => {
  fails({ MMSC_MM1_PUSH: 'pap' }, /mm1\.papUrl: required when mm1\.push is pap/);
  fails({ MMSC_MM1_TOKEN_SECRET: 'short' }, /mm1\.tokenSecret: .*\(from env MMSC_MM1_TOKEN_SECRET\)/);
  fails({ MMSC_MM1_PUBLIC_URL: 'http://mms.example/' }, /mm1\.publicUrl: an http\(s\) URL without a trailing slash/);
  fails({ MMSC_MM1_LOCAL_PREFIXES: '["44"]' }, /mm1\.localPrefixes\.0: a \+E\.164 prefix/);
  fails({ MMSC_SMPP_VIEW_URL: 'http://x/{id}' }, /smpp\.viewUrl: must contain \{token\}/);
  // A message to mm1.maxRecipients takes that many tokens at once: more than the burst would never go.
  fails({ MMSC_MM1_SUBMIT_BURST: '5' }, /mm1\.maxRecipients: must not exceed mm1\.submitBurst \(5\)/);
  t.equal(loadConfig({ env: { MMSC_MM1_SUBMIT_BURST: '5', MMSC_MM1_MAX_RECIPIENTS: '5' } }).mm1.maxRecipients, 5, 'within the burst: fine');
  // Notifications use no delivery attempts (a push that reached the bearer settles `waiting`): any count goes.
  t.equal(loadConfig({ env: { MMSC_MM1_MAX_PUSHES: '10' } }).mm1.maxPushes, 10, 'mm1.maxPushes need not be below queue.maxAttempts');
  t.equal(
    loadConfig({ env: { MMSC_MM1_SUBMIT_BURST: '5', MMSC_MM1_SUBMIT_RATE: '0' } }).mm1.maxRecipients,
    20,
    'no submission limit: no constraint',
  );
  const ok = loadConfig({
    env: { MMSC_MM1_PUSH: 'pap', MMSC_MM1_PAP_URL: 'http://u:p@ppg:8080/wappush', MMSC_MM1_LOCAL_PREFIXES: '["+4470"]' },
  });
  t.equal(ok.mm1.papUrl, 'http://u:p@ppg:8080/wappush');
  t.same(ok.mm1.localPrefixes, ['+4470']);
});

t.test('mm1.publicUrl follows mm1.host and mm1.port unless set; the web view URL follows its own listener', async (t) => {
  t.equal(loadConfig({ env: {} }).mm1.publicUrl, 'http://127.0.0.1:8190', 'the default host and port');
  t.equal(loadConfig({ env: { MMSC_MM1_PORT: '8291' } }).mm1.publicUrl, 'http://127.0.0.1:8291', 'the configured port');
  t.equal(loadConfig({ env: { MMSC_MM1_HOST: 'mms.test', MMSC_MM1_PORT: '80' } }).mm1.publicUrl, 'http://mms.test:80');
  t.equal(
    loadConfig({ env: { MMSC_MM1_HOST: '::1', MMSC_MM1_PORT: '8291' } }).mm1.publicUrl,
    'http://[::1]:8291',
    'an IPv6 literal in brackets',
  );
  t.equal(
    loadConfig({ env: { MMSC_MM1_HOST: '0.0.0.0' } }).mm1.publicUrl,
    'http://127.0.0.1:8190',
    'a wildcard bind: its loopback address',
  );
  t.equal(
    loadConfig({ env: { MMSC_MM1_PORT: '8291', MMSC_MM1_PUBLIC_URL: 'https://mms.test/mms' } }).mm1.publicUrl,
    'https://mms.test/mms',
    'an explicit one wins',
  );
  const inline = loadConfig({ env: { MMSC_MM1_PORT: '8291' } }).mm1;
  t.equal(inline.webViewPublicUrl, 'http://127.0.0.1:8291', 'no web-view listener: the web view is on the MM1 URL');
  t.equal(inline.webViewPort, undefined);
  const own = loadConfig({ env: { MMSC_MM1_WEB_VIEW_PORT: '8080', MMSC_MM1_WEB_VIEW_HOST: '127.0.0.5' } }).mm1;
  t.equal(own.webViewPublicUrl, 'http://127.0.0.5:8080', 'its own listener');
  t.equal(
    loadConfig({ env: { MMSC_MM1_WEB_VIEW_PORT: '8080', MMSC_MM1_WEB_VIEW_PUBLIC_URL: 'https://view.test/v' } }).mm1.webViewPublicUrl,
    'https://view.test/v',
  );
  fails({ MMSC_MM1_WEB_VIEW_PUBLIC_URL: 'https://view.test/' }, /mm1\.webViewPublicUrl: an http\(s\) URL without a trailing slash/);
  fails({ MMSC_MM1_WEB_VIEW_PORT: '70000' }, /mm1\.webViewPort: .*\(from env MMSC_MM1_WEB_VIEW_PORT\)/);
});

t.test('mm1.trustedProxies: loopback by default; CIDR blocks checked at start, naming the key and the entry', async (t) => {
  t.same(loadConfig({ env: {} }).mm1.trustedProxies, ['127.0.0.0/8', '::1/128']);
  t.same(loadConfig({ env: { MMSC_MM1_TRUSTED_PROXIES: '10.1.0.0/16, 2001:db8::/32,192.0.2.7' } }).mm1.trustedProxies, [
    '10.1.0.0/16',
    '2001:db8::/32',
    '192.0.2.7',
  ]);
  fails(
    { MMSC_MM1_TRUSTED_PROXIES: '10.0.0.0/33' },
    /mm1\.trustedProxies: "10\.0\.0\.0\/33": the prefix length is over 32 \(from env MMSC_MM1_TRUSTED_PROXIES\)/,
  );
  fails(
    { MMSC_MM1_TRUSTED_PROXIES: '10.0.0.0/8,gateway.test' },
    /mm1\.trustedProxies: "gateway\.test" is not an IPv4 or IPv6 address or CIDR range/,
  );
  fails({ MMSC_MM1_TRUSTED_PROXIES: '2001:db8::/129' }, /mm1\.trustedProxies: "2001:db8::\/129": the prefix length is over 128/);
});

t.test('mm1.msisdnFormat: e164 by default; national needs mm1.defaultCountryCode', async (t) => {
  t.equal(loadConfig({ env: {} }).mm1.msisdnFormat, 'e164');
  t.equal(loadConfig({ env: { MMSC_MM1_MSISDN_FORMAT: 'international' } }).mm1.msisdnFormat, 'international');
  fails({ MMSC_MM1_MSISDN_FORMAT: 'digits' }, /mm1\.msisdnFormat: .*\(from env MMSC_MM1_MSISDN_FORMAT\)/);
  fails({ MMSC_MM1_MSISDN_FORMAT: 'national' }, /mm1\.defaultCountryCode: required when mm1\.msisdnFormat is national/);
  t.equal(loadConfig({ env: { MMSC_MM1_MSISDN_FORMAT: 'national', MMSC_MM1_DEFAULT_COUNTRY_CODE: '44' } }).mm1.msisdnFormat, 'national');
});

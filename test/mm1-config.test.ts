import t from 'tap';
import { ConfigError, loadConfig } from '../src/ops/config.js';

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
  fails({ MMSC_MM1_MAX_PUSHES: '10' }, /mm1\.maxPushes: must be below queue\.maxAttempts \(10\)/);
  fails({ MMSC_MM1_PUBLIC_URL: 'http://mms.example/' }, /mm1\.publicUrl: an http\(s\) URL without a trailing slash/);
  fails({ MMSC_MM1_LOCAL_PREFIXES: '["44"]' }, /mm1\.localPrefixes\.0: a \+E\.164 prefix/);
  fails({ MMSC_SMPP_VIEW_URL: 'http://x/{id}' }, /smpp\.viewUrl: must contain \{token\}/);
  // A message to mm1.maxRecipients takes that many tokens at once: more than the burst would never go.
  fails({ MMSC_MM1_SUBMIT_BURST: '5' }, /mm1\.maxRecipients: must not exceed mm1\.submitBurst \(5\)/);
  t.equal(loadConfig({ env: { MMSC_MM1_SUBMIT_BURST: '5', MMSC_MM1_MAX_RECIPIENTS: '5' } }).mm1.maxRecipients, 5, 'within the burst: fine');
  t.equal(loadConfig({ env: { MMSC_MM1_SUBMIT_BURST: '5', MMSC_MM1_SUBMIT_RATE: '0' } }).mm1.maxRecipients, 20, 'no submission limit: no constraint');
  const ok = loadConfig({ env: { MMSC_MM1_PUSH: 'pap', MMSC_MM1_PAP_URL: 'http://u:p@ppg:8080/wappush', MMSC_MM1_LOCAL_PREFIXES: '["+4470"]' } });
  t.equal(ok.mm1.papUrl, 'http://u:p@ppg:8080/wappush');
  t.same(ok.mm1.localPrefixes, ['+4470']);
});

// deploy/mmsc.example.yaml is generated from the schema (`mmsc config example`): these tests fail when the
// committed copy is out of step with it (regenerate with `npm run readme:config`), when it does not load as
// every default, when a key of the reference is missing from it, and when its commented entries, uncommented,
// are not valid entries.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { configExample } from '../../src/ops/config-example.js';
import { configReference } from '../../src/ops/config-reference.js';
import { loadConfig } from '../../src/ops/config.js';
import { ROOT } from '../helpers/paths.js';

const committedPath = join(ROOT, 'deploy', 'mmsc.example.yaml');
const committed = readFileSync(committedPath, 'utf8');
const generated = configExample();
const dir = mkdtempSync(join(tmpdir(), 'mmsc-example-'));

/** The keys of the reference table (section.key and array entry fields like mm4.peers[].out.port). */
const referenceKeys = configReference()
  .split('\n')
  .filter((l) => l.startsWith('| `'))
  .map((l) => l.slice(3, l.indexOf('`', 3)));

/** The example with its commented entries uncommented (and their keys' "[]" dropped). */
function uncommented(text: string): string {
  return (
    text
      .replace(/^( *)(\w+): \[\]\n(?=\1# {3}# an entry of \2:)/gm, '$1$2:\n')
      // An object key (a listener's tls) commented out, its fields under it.
      .replace(/^( *)# (\w+):\n(?=\1# {3})/gm, '$1$2:\n')
      .replace(/^( *)# ( {2}.*)$/gm, '$1$2')
  );
}

t.test('deploy/mmsc.example.yaml is the generated one (npm run readme:config rewrites it)', async (t) => {
  t.equal(committed, generated, 'out of step with the schema: run npm run readme:config');
});

t.test('the example loads, and gives exactly the defaults', async (t) => {
  t.strictSame(loadConfig({ file: committedPath, env: {} }), loadConfig({ env: {} }));
});

t.test('every key of the reference is in the example, with its description', async (t) => {
  t.ok(referenceKeys.length > 100, `${referenceKeys.length} keys`);
  const sections = generated.split(/\n(?=\S)/);
  for (const key of referenceKeys) {
    const [section, ...rest] = key.split('.');
    const text = sections.find((s) => s.startsWith(`${section}:`)) ?? '';
    const name = rest.at(-1)!.replace('[]', '');
    // Set (key: value) or unset (# key:), preceded by a comment line.
    t.match(text, new RegExp(`#[^\\n]*\\n[ #]*${name}:`), key);
  }
  t.match(generated, /\n {2}# ops listener port \(0 = any free port\) \(env MMSC_OPS_PORT\)\n {2}port: 9464\n/);
  t.match(
    generated,
    /\n {2}# pino log level; one of fatal, error, warn, info, debug, trace, silent \(env MMSC_LOG_LEVEL\)\n {2}level: info\n/,
  );
  t.match(generated, /\n {2}defaultExpiryMs: 604800000 # 7 days\n/);
  t.match(generated, /\n {2}# url:\n/, 'an unset key is commented out');
});

t.test('the commented entries, uncommented, are valid entries with every field', async (t) => {
  const text = uncommented(generated);
  t.not(text, generated);
  const file = join(dir, 'uncommented.yaml');
  writeFileSync(file, text);
  // An outbound MM4 peer needs our own MMS domain.
  const c = loadConfig({ file, env: { MMSC_MM4_DOMAINS: 'mms.example.net' } });
  t.equal(c.mm7.vasps.length, 1);
  t.match(c.mm7.vasps[0], { id: 'vasp-a', username: 'vasp-a', senders: ['12345'], rate: 50, version: 'REL-6-MM7-1-4' });
  t.equal(c.smpp.smscs.length, 1);
  t.match(c.smpp.smscs[0], { id: 'smsc-a', host: 'smsc.example.net', port: 2775, bindMode: 'transceiver' });
  t.equal(c.mm4.peers.length, 1);
  t.match(c.mm4.peers[0], { id: 'peer-a', domain: 'mms.mnc002.mcc001.gprs', out: { host: 'mms-in.peer.example', port: 25 } });
  // Every field of an entry is there: set, or commented out as unset.
  for (const key of referenceKeys.filter((k) => k.includes('[].'))) {
    const field = key.split('.').at(-1)!;
    t.match(text, new RegExp(`\\n *(# )?${field}:`), key);
  }
});

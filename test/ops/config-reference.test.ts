// The configuration reference (docs/configuration.md) is generated from the schema (`mmsc config reference`): these
// tests fail when the page is out of step with it (regenerate with `npm run readme:config`), and check the generator's rows
// against values written out here by hand.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { BEGIN_MARK, END_MARK, configReference, referenceIn, spliceReference } from '../../src/ops/config-reference.js';
import { envKeys } from '../../src/ops/config.js';
import { ROOT } from '../helpers/paths.js';

const readme = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
const reference = configReference();
const rows = reference.split('\n').filter((l) => l.startsWith('| `'));

/** The cells of the row whose first cell is `key`. */
function cells(key: string): string[] {
  const r = rows.find((l) => l.startsWith(`| \`${key}\` |`));
  if (r === undefined) throw new Error(`no row for ${key}`);
  return r.slice(2, -2).split(' | ');
}

t.test("the configuration page's table is the generated one (npm run readme:config rewrites it)", async (t) => {
  const inReadme = referenceIn(readme);
  t.ok(inReadme !== undefined, `docs/configuration.md has the ${BEGIN_MARK} ... ${END_MARK} block`);
  t.equal(inReadme, reference, 'docs/configuration.md is out of step with the schema: run npm run readme:config');
});

t.test('rows name the key, its environment variable and form, the default and the meaning', async (t) => {
  t.strictSame(cells('ops.port'), ['`ops.port`', '`MMSC_OPS_PORT`', '`9464`', 'ops listener port (0 = any free port)']);
  t.strictSame(cells('redis.url').slice(0, 3), ['`redis.url`', '`MMSC_REDIS_URL` or `REDIS_URL`', 'unset']);
  t.strictSame(cells('redis.cluster').slice(1, 3), ['`MMSC_REDIS_CLUSTER` (comma-separated)', 'unset']);
  t.strictSame(cells('mm1.trustedProxies').slice(1, 3), ['`MMSC_MM1_TRUSTED_PROXIES` (comma-separated)', '`127.0.0.0/8,::1/128`']);
  t.strictSame(cells('mm7.vasps').slice(1, 3), ['`MMSC_MM7_VASPS` (JSON)', '`[]`']);
  t.strictSame(cells('smpp.startKeywords').slice(1, 3), ['`MMSC_SMPP_START_KEYWORDS` (JSON)', '`["START","SUBSCRIBE","UNSTOP"]`']);
  t.strictSame(cells('mm7.enabled').slice(1, 3), ['`MMSC_MM7_ENABLED` (true/false/1/0)', '`true`']);
  t.strictSame(cells('mm7.defaultExpiryMs')[2], '`604800000` (7 days)');
  t.strictSame(cells('mm1.maxMessageBytes')[2], '`307200` (300 KiB)');
  t.match(cells('log.level')[3], /one of `fatal`, `error`, `warn`, `info`, `debug`, `trace`, `silent`$/);
  // A "<name>" in a meaning is escaped, or Markdown would take it for an HTML tag and hide it.
  t.match(cells('mm1.publicUrl')[3], /http:\/\/\\<mm1\.host>:\\<mm1\.port>/);
});

t.test('the fields of mm7.vasps[] and smpp.smscs[] have tables of their own', async (t) => {
  t.strictSame(cells('mm7.vasps[].id').slice(1), ['required', 'VASPID; also the queue/throttle peer id of deliveries to this VASP']);
  t.strictSame(cells('mm7.vasps[].version')[1], '`REL-6-MM7-1-4`');
  t.strictSame(cells('mm7.vasps[].allowIps')[1], 'unset');
  t.strictSame(cells('smpp.smscs[].port')[1], '`2775`');
  t.strictSame(cells('smpp.smscs[].password')[1], '`""`');
  t.strictSame(cells('smpp.smscs[].bindMode')[1], '`transceiver`');
  t.ok(reference.includes('Each entry of `mm7.vasps` (a JSON object in the file, or in `MMSC_MM7_VASPS`):'));
  t.ok(reference.includes('Each entry of `smpp.smscs` (a JSON object in the file, or in `MMSC_SMPP_SMSCS`):'));
});

t.test('every key and every environment variable the loader reads is in the table, once', async (t) => {
  const documented = rows.map((l) => l.slice(2, -2).split(' | ')).filter((c) => c.length === 4);
  const keys = new Set([...envKeys().values()].map((p) => p.join('.')));
  t.strictSame(documented.map((c) => c[0]!.replace(/`/g, '')).sort(), [...keys].sort());
  const names = documented.flatMap((c) => [...c[1]!.matchAll(/`([A-Z_0-9]+)`/g)].map((m) => m[1]!));
  t.strictSame(names.sort(), [...envKeys().keys()].sort());
});

t.test('spliceReference replaces only the generated block', async (t) => {
  const doc = `# Title\n\nprose before\n\n${BEGIN_MARK}\n| old | table |\n${END_MARK}\n\nprose after\n`;
  t.equal(spliceReference(doc, '| new |'), `# Title\n\nprose before\n\n${BEGIN_MARK}\n\n| new |\n\n${END_MARK}\n\nprose after\n`);
  t.throws(() => spliceReference('# no markers\n', '| new |'), /no <!-- config-reference:begin/);
});

import { SenderPolicySchema } from '../../src/ops/config-consent.js';
// The marketing rules from the config (src/ops/marketing-rules.ts), loaded from the example in
// docs/consent-frequency.md as written there (the example must paste): a sender's own entry, the `*` entry
// for any other, the defaults (overCap defer, fallbackTimeZone UTC) filled in; no `*`: none for the others.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/ops/config.js';
import { marketingRulesOf } from '../../src/ops/marketing-rules.js';
import { ROOT } from '../helpers/paths.js';

t.test("the docs' example loads, and each sender gets its rules", async (t) => {
  const doc = readFileSync(join(ROOT, 'docs', 'consent-frequency.md'), 'utf8');
  const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!yaml) return void t.fail('no yaml example in docs/consent-frequency.md');
  const file = join(mkdtempSync(join(tmpdir(), 'mmsc-consent-')), 'mmsc.yaml');
  writeFileSync(file, yaml);
  const rules = marketingRulesOf(loadConfig({ file, env: {} }).consent.senders);
  t.strictSame(rules('12345'), {
    overCap: 'defer',
    fallbackTimeZone: 'America/New_York',
    maxPerDay: 2,
    maxPerWeek: 5,
    quietHours: { start: '21:00', end: '08:00' },
  });
  t.strictSame(rules('67890'), { overCap: 'refuse', fallbackTimeZone: 'UTC', maxPerDay: 1, quietHours: { start: '20:00', end: '09:00' } });
});

t.test('without a * entry, other senders have no rules', async (t) => {
  const rules = marketingRulesOf([SenderPolicySchema.parse({ sender: '12345', overCap: 'defer', fallbackTimeZone: 'UTC', maxPerDay: 1 })]);
  t.strictSame(rules('12345'), { overCap: 'defer', fallbackTimeZone: 'UTC', maxPerDay: 1 });
  t.equal(rules('67890'), undefined);
});

// The portability section of the configuration: off by default (no source: routing by prefix only), every
// key settable from the environment (the DNS servers as a comma-separated list), bad values named by key.
import t from 'tap';
import { ConfigError, loadConfig } from '../../src/ops/config.js';

t.test('defaults: no source, ENUM under e164.arpa on the system resolvers, bounded cache', async (t) => {
  t.strictSame(loadConfig({ env: {} }).portability, {
    redis: false,
    enumEnabled: false,
    enumApex: 'e164.arpa',
    enumServers: [],
    timeoutMs: 500,
    cacheTtlMs: 3_600_000,
    negativeTtlMs: 300_000,
    maxEntries: 100_000,
  });
});

t.test('from the environment', async (t) => {
  const p = loadConfig({
    env: {
      MMSC_PORTABILITY_FILE: '/etc/mmsc/ported.csv',
      MMSC_PORTABILITY_REDIS: 'true',
      MMSC_PORTABILITY_ENUM_ENABLED: '1',
      MMSC_PORTABILITY_ENUM_APEX: 'e164enum.net',
      MMSC_PORTABILITY_ENUM_SERVERS: '10.0.0.53, 10.0.1.53:5353',
      MMSC_PORTABILITY_TIMEOUT_MS: '250',
    },
  }).portability;
  t.match(p, {
    file: '/etc/mmsc/ported.csv',
    redis: true,
    enumEnabled: true,
    enumApex: 'e164enum.net',
    enumServers: ['10.0.0.53', '10.0.1.53:5353'],
    timeoutMs: 250,
  });
});

t.test('bad values fail naming the key', async (t) => {
  t.throws(() => loadConfig({ env: { MMSC_PORTABILITY_ENUM_APEX: 'not a domain' } }), {
    name: 'ConfigError',
    message: /portability\.enumApex: a domain name, e\.g\. e164enum\.net \(from env MMSC_PORTABILITY_ENUM_APEX\)/,
  });
  t.throws(() => loadConfig({ env: { MMSC_PORTABILITY_TIMEOUT_MS: '1' } }), /portability\.timeoutMs: /);
  t.throws(() => loadConfig({ env: { MMSC_PORTABILITY_MAX_ENTRIES: '-1' } }), ConfigError);
});

// The retry schedule (src/core/retry-policy.ts) on its own: attempt 1 waits baseMs, each further attempt
// `factor` times longer, capped at maxMs, spread by +-jitter (20 % by default: queue.retryBaseMs says
// "doubles each attempt (+-20 % jitter)"). Jitter draws come from a seeded PRNG, so a failure replays.
import t from 'tap';
import { DEFAULT_RETRY_POLICY, retryDelay, type RetryPolicy } from '../../src/core/retry-policy.js';
import { prng } from '../helpers/prng.js';

const exact: RetryPolicy = { baseMs: 1_000, factor: 2, maxMs: 60_000, jitter: 0 };
/** random() at the middle of [0, 1): no spread whatever the jitter. */
const middle = () => 0.5;

t.test('attempt 1 waits the base delay', async (t) => {
  t.equal(retryDelay(exact, 1), 1_000);
  t.equal(retryDelay({ ...exact, jitter: 0.2 }, 1, middle), 1_000, 'jitter around the base, not added to it');
  t.equal(retryDelay(DEFAULT_RETRY_POLICY, 1, middle), 5_000, 'the default base: 5 s (queue.retryBaseMs)');
});

t.test('each further attempt is `factor` times longer', async (t) => {
  t.same(
    [1, 2, 3, 4, 5, 6].map((a) => retryDelay(exact, a)),
    [1_000, 2_000, 4_000, 8_000, 16_000, 32_000],
  );
  t.same(
    [1, 2, 3].map((a) => retryDelay({ ...exact, factor: 3 }, a)),
    [1_000, 3_000, 9_000],
    'factor 3',
  );
  t.equal(retryDelay({ ...exact, factor: 1 }, 7), 1_000, 'factor 1: a constant delay');
});

t.test('the delay is capped at maxMs', async (t) => {
  t.equal(retryDelay(exact, 7), 60_000, '64 s capped to 60 s');
  t.equal(retryDelay(exact, 50), 60_000, 'far past the cap');
  t.equal(retryDelay(exact, 2_000), 60_000, 'an exponent whose power is Infinity still gives the cap');
  t.equal(retryDelay(DEFAULT_RETRY_POLICY, 40, middle), 3_600_000, 'the default cap: 1 hour (queue.retryMaxMs)');
  // Jitter applies to the capped delay: never more than maxMs * (1 + jitter).
  const random = prng(7);
  const capped = Array.from({ length: 1_000 }, () => retryDelay({ ...exact, jitter: 0.2 }, 30, random));
  t.ok(Math.max(...capped) <= 72_000, 'capped, then jittered: at most maxMs + 20 %');
  t.ok(Math.min(...capped) >= 48_000, 'and at least maxMs - 20 %');
});

t.test('an attempt below 1 waits the base delay too (no fraction of it)', async (t) => {
  t.equal(retryDelay(exact, 0), 1_000);
  t.equal(retryDelay(exact, -3), 1_000);
});

t.test('jitter stays within +-20 % and spreads retries over the whole band', async (t) => {
  const policy: RetryPolicy = { baseMs: 10_000, factor: 2, maxMs: 3_600_000, jitter: 0.2 };
  // The ends of the random source's range give the ends of the band.
  t.equal(
    retryDelay(policy, 1, () => 0),
    8_000,
    'random 0: -20 %',
  );
  t.equal(
    retryDelay(policy, 1, () => 1 - 2 ** -53),
    12_000,
    'random just below 1: +20 %',
  );
  t.equal(
    retryDelay(policy, 3, () => 0.75),
    44_000,
    'random 0.75: +10 % of 40 s',
  );

  for (const attempt of [1, 4]) {
    const plain = 10_000 * 2 ** (attempt - 1);
    const random = prng(20_240_000 + attempt);
    const draws = Array.from({ length: 5_000 }, () => retryDelay(policy, attempt, random));
    const min = Math.min(...draws);
    const max = Math.max(...draws);
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    t.ok(min >= plain * 0.8, `attempt ${attempt}: no draw below -20 % (min ${min})`);
    t.ok(max <= plain * 1.2, `attempt ${attempt}: no draw above +20 % (max ${max})`);
    // A uniform spread over 5000 draws reaches within 1 % of each end and centres on the plain delay
    // (standard error of the mean ~0.16 % of it; 1 % is > 6 of them).
    t.ok(min <= plain * 0.81, `attempt ${attempt}: some draws near -20 % (min ${min})`);
    t.ok(max >= plain * 1.19, `attempt ${attempt}: some draws near +20 % (max ${max})`);
    t.ok(Math.abs(mean - plain) <= plain * 0.01, `attempt ${attempt}: centred on ${plain} (mean ${mean.toFixed(0)})`);
    t.ok(draws.every(Number.isInteger), 'whole milliseconds');
  }
});

t.test('a jittered delay is never negative', async (t) => {
  t.equal(
    retryDelay({ baseMs: 100, factor: 2, maxMs: 1_000, jitter: 1.5 }, 1, () => 0),
    0,
    'jitter over 100 % clamps at 0',
  );
});

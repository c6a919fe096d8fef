// withThrottleSlot: one slot of a peer's throttle around a piece of work (the inbound edges' submissions),
// against the embedded store's throttle and a throttle whose store is down.
import t from 'tap';
import { withThrottleSlot } from '../../src/core/throttle-slot.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import type { Throttle } from '../../src/core/ports.js';

const limits = { rate: 1000, burst: 1000, maxInFlight: 1 };
const until = () => Date.now() + 60_000;

t.test('the work runs in the slot, and the slot is given back whether the work returns or throws', async (t) => {
  const { throttle } = createMemoryStore();
  let inside: unknown;
  const first = withThrottleSlot(throttle, 'p', limits, until(), async () => {
    // The one slot is held: a second caller is refused meanwhile.
    inside = await withThrottleSlot(throttle, 'p', limits, until(), async () => 'never');
    return 42;
  });
  t.same(await first, { kind: 'done', value: 42 });
  t.match(inside, { kind: 'throttled' }, 'the cap of 1 refused a second slot while the first was held');
  t.ok((inside as { retryAfterMs: number }).retryAfterMs > 0, 'with a wait to advise');
  await t.rejects(
    withThrottleSlot(throttle, 'p', limits, until(), async () => Promise.reject(new Error('boom'))),
    /boom/,
    'an error of the work is rethrown',
  );
  t.same(
    await withThrottleSlot(throttle, 'p', limits, until(), async () => 'again'),
    { kind: 'done', value: 'again' },
    'both slots were given back',
  );
});

t.test('a throttle that cannot be reached: unavailable, and the work does not run', async (t) => {
  const down = new Error('ECONNREFUSED');
  const broken = { acquire: () => Promise.reject(down), release: () => Promise.reject(down), close: async () => {} } as unknown as Throttle;
  let ran = false;
  const r = await withThrottleSlot(broken, 'p', limits, until(), async () => (ran = true));
  t.same(r, { kind: 'unavailable', error: down });
  t.equal(ran, false);
});

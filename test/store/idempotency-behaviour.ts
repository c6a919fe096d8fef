// The IdempotencyStore contract (src/core/ports.ts), run against every backend: test/store/idempotency.test.ts
// (memory, Redis) and test/store/queue-cluster.test.ts (Redis Cluster).
import type { Test } from 'tap';
import type { IdempotencyStore } from '../../src/core/ports.js';

export interface IdempotencyFixture {
  store: IdempotencyStore;
  /** Let `ms` pass for the store's TTLs (a test clock, or real time for Redis). */
  pass(ms: number): Promise<void>;
  cleanup?: () => Promise<void>;
}

export function idempotencySuite(t: Test, name: string, make: () => Promise<IdempotencyFixture>): void {
  t.test(`${name}: idempotency records`, async (t) => {
    const f = await make();
    t.teardown(async () => f.cleanup?.());
    const { store } = f;

    t.test('the first claim records; a second gets the first value', async (t) => {
      t.strictSame(await store.claim('mm7-submit:A', 'tx-1', 'id-1 p', 60_000), { value: 'id-1 p', first: true });
      t.strictSame(await store.claim('mm7-submit:A', 'tx-1', 'id-2 p', 60_000), { value: 'id-1 p', first: false });
      t.strictSame(
        await store.claim('mm7-submit:A', 'tx-1', 'id-3 q', 60_000),
        { value: 'id-1 p', first: false },
        'whatever the later value',
      );
    });

    t.test('release drops a record only while it holds the releasing value', async (t) => {
      await store.claim('mm7-submit:A', 'tx-rel', 'id-1 p', 60_000);
      await store.release('mm7-submit:A', 'tx-rel', 'id-2 p');
      t.strictSame(
        await store.claim('mm7-submit:A', 'tx-rel', 'id-3 p', 60_000),
        { value: 'id-1 p', first: false },
        "another claim's value: kept",
      );
      await store.release('mm7-submit:B', 'tx-rel', 'id-1 p');
      t.equal((await store.claim('mm7-submit:A', 'tx-rel', 'id-3 p', 60_000)).value, 'id-1 p', 'another scope: kept');
      await store.release('mm7-submit:A', 'tx-rel', 'id-1 p');
      t.strictSame(
        await store.claim('mm7-submit:A', 'tx-rel', 'id-4 p', 60_000),
        { value: 'id-4 p', first: true },
        'its own value: dropped, the next claim is first',
      );
      await store.release('mm7-submit:A', 'tx-none', 'x');
      t.strictSame(await store.claim('mm7-submit:A', 'tx-none', 'y', 60_000), { value: 'y', first: true }, 'releasing nothing is harmless');
    });

    t.test('scopes and keys are apart', async (t) => {
      t.strictSame(await store.claim('mm7-submit:A', 'tx-2', 'a', 60_000), { value: 'a', first: true });
      t.strictSame(await store.claim('mm7-submit:B', 'tx-2', 'b', 60_000), { value: 'b', first: true }, 'another scope (VASP)');
      t.strictSame(await store.claim('mm7-submit:A', 'tx-2b', 'c', 60_000), { value: 'c', first: true }, 'another key');
      t.strictSame(await store.claim('rest:A', 'tx-2', 'd', 60_000), { value: 'd', first: true }, 'another purpose');
    });

    t.test('keys of any form: long, braces, spaces, a leading #, non-ASCII', async (t) => {
      const long = 'k'.repeat(5000);
      const keys = [long, `${long}x`, '{tag}', 'a}b{c', 'with space', '#hash', 'Ω-ключ', '1'];
      for (const [i, k] of keys.entries())
        t.strictSame(
          await store.claim('mm7-submit:A', k, `v${i}`, 60_000),
          { value: `v${i}`, first: true },
          JSON.stringify(k).slice(0, 20),
        );
      for (const [i, k] of keys.entries()) t.equal((await store.claim('mm7-submit:A', k, 'later', 60_000)).value, `v${i}`);
    });

    t.test('two claims at once: one records, both see its value', async (t) => {
      const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => store.claim('mm7-submit:A', 'tx-race', `v${i}`, 60_000)));
      t.equal(rs.filter((r) => r.first).length, 1, 'one first');
      t.equal(new Set(rs.map((r) => r.value)).size, 1, 'one value');
    });

    t.test('after its TTL the key is free again', async (t) => {
      t.ok((await store.claim('mm7-submit:A', 'tx-ttl', 'old', 50)).first);
      t.notOk((await store.claim('mm7-submit:A', 'tx-ttl', 'new', 50)).first, 'still live');
      await f.pass(100);
      t.strictSame(await store.claim('mm7-submit:A', 'tx-ttl', 'new', 50), { value: 'new', first: true });
    });
  });
}

// StaticRouter.replace (a reload's new route table): the block of old entries is swapped for the new ones in
// place; entries appended after it (tests' stand-ins) stay after it; an empty old block means the start.
import t from 'tap';
import type { DeliveryResult, Route } from '../../src/core/router.js';
import { routeWhen, StaticRouter } from '../../src/core/static-router.js';

const named = (peer: string): Route => ({
  peer,
  limits: { rate: 1, burst: 1, maxInFlight: 1 },
  send: async (): Promise<DeliveryResult> => ({ status: 'rejected', detail: 'fake' }),
});
const always = (name: string) => routeWhen(name, () => true, named(name));

t.test('replace swaps a block in place and keeps what came after', async (t) => {
  const table = [always('a'), always('b')];
  const router = new StaticRouter().append(table).append([always('stand-in')]);
  const next = [always('c')];
  router.replace(table, next);
  t.strictSame(router.names(), ['c', 'stand-in']);
  router.replace(next, []);
  t.strictSame(router.names(), ['stand-in']);
  router.replace([], [always('d')]);
  t.strictSame(router.names(), ['d', 'stand-in'], 'an empty block is the start');
  t.throws(() => router.replace(table, []), /not in this router/);
});

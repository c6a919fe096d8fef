// The route table (src/core/static-router.ts, contract in src/core/router.ts) on its own: entries are
// consulted in the order they were given (the constructor's list, then append, add and addResolver), fixed
// routes and resolvers alike, and the first that answers wins; a resolver that answers undefined passes to
// the next entry; with no entry answering the recipient has no route (undefined: the worker pool ends it
// `rejected`, "no route"). Entries have names: the table lists them, and says which one routed.
import t from 'tap';
import type { CoreMessage } from '../../src/core/message.js';
import type { Delivery, DeliveryResult, Route, Router } from '../../src/core/router.js';
import { routeBy, routeWhen, StaticRouter } from '../../src/core/static-router.js';
import { textMessage } from '../helpers/messages.js';

/** A route that only has a name: the router never sends (a fake of the Route port). */
function named(peer: string): Route {
  return {
    peer,
    limits: { rate: 10, burst: 10, maxInFlight: 1 },
    send: async (_d: Delivery): Promise<DeliveryResult> => ({ status: 'rejected', detail: 'fake route: not for sending' }),
  };
}

const vasp = named('vasp:shop');
const smsc = named('smsc:a');
const local = named('mm1');

/** Recipient address of `m` at `i`. */
const to = (m: CoreMessage, i: number) => m.recipients[i]?.address ?? '';

t.test('no entries: no route', async (t) => {
  const router: Router = new StaticRouter();
  t.equal(router.route(textMessage('m1', 1), 0), undefined);
});

t.test('no entry matches: no route', async (t) => {
  const router = new StaticRouter().add(() => false, vasp).addResolver(() => undefined);
  t.equal(router.route(textMessage('m1', 1), 0), undefined);
});

t.test('the first matching entry wins, in the order added', async (t) => {
  const all = () => true;
  t.equal(new StaticRouter().add(all, vasp).add(all, smsc).route(textMessage('m1', 1), 0), vasp, 'first of two fixed routes');
  t.equal(new StaticRouter().add(all, smsc).add(all, vasp).route(textMessage('m1', 1), 0), smsc, 'order reversed, winner reversed');
  t.equal(
    new StaticRouter()
      .addResolver(() => local)
      .add(all, vasp)
      .route(textMessage('m1', 1), 0),
    local,
    'a resolver added first beats a fixed route',
  );
  t.equal(
    new StaticRouter()
      .add(all, vasp)
      .addResolver(() => local)
      .route(textMessage('m1', 1), 0),
    vasp,
    'a fixed route added first beats a resolver',
  );
});

t.test('a predicate that does not match, or a resolver that answers undefined, passes to the next entry', async (t) => {
  const seen: string[] = [];
  const router = new StaticRouter()
    .add(() => (seen.push('add 1'), false), vasp)
    .addResolver(() => (seen.push('resolver 2'), undefined))
    .add(() => (seen.push('add 3'), true), smsc)
    .addResolver(() => (seen.push('resolver 4'), local));
  t.equal(router.route(textMessage('m1', 1), 0), smsc);
  t.same(seen, ['add 1', 'resolver 2', 'add 3'], 'consulted in order, none after the first match');
});

t.test('entries decide per recipient: message and recipient index are passed through', async (t) => {
  const m = textMessage('m1', 3, Date.now(), {
    recipients: [
      { address: '7050', type: 'shortcode', kind: 'to' },
      { address: '+15551000001', type: 'plmn', kind: 'to' },
      { address: 'user@example.org', type: 'email', kind: 'cc' },
    ],
  });
  const calls: [string, number][] = [];
  const router = new StaticRouter()
    .add((msg, i) => (calls.push([msg.id, i]), to(msg, i) === '7050'), vasp)
    .addResolver((msg, i) => (to(msg, i).startsWith('+1555') ? smsc : undefined));
  t.equal(router.route(m, 0), vasp, 'short code: the VASP');
  t.equal(router.route(m, 1), smsc, 'number: the SMSC the resolver picked');
  t.equal(router.route(m, 2), undefined, 'e-mail address: nobody');
  t.same(
    calls,
    [
      ['m1', 0],
      ['m1', 1],
      ['m1', 2],
    ],
    'the predicate saw each recipient index',
  );
  t.equal(router.route(m, 7), undefined, 'an index past the recipients: no route');
});

t.test('entries added later still count, after the earlier ones', async (t) => {
  const router = new StaticRouter().add((m) => m.report !== undefined, vasp);
  const m = textMessage('m1', 1);
  t.equal(router.route(m, 0), undefined);
  router.addResolver(() => smsc);
  t.equal(router.route(m, 0), smsc, 'the new resolver answers what the first entry does not');
  t.equal(
    router.route({ ...m, report: { kind: 'delivery', messageId: 'x', recipientIndex: 0, to: m.origin, status: 'delivered', at: 0 } }, 0),
    vasp,
    'the first entry still wins what it matches',
  );
});

t.test('a table given to the constructor: its order is the precedence, its names are listed in that order', async (t) => {
  const all = () => true;
  const router = new StaticRouter([
    routeWhen('reports', (m) => m.report !== undefined, local),
    routeBy('short codes', (m, i) => (to(m, i) === '7050' ? vasp : undefined)),
    routeWhen('everything else', all, smsc),
  ]);
  t.same(router.names(), ['reports', 'short codes', 'everything else']);
  const m = textMessage('m1', 2, Date.now(), {
    recipients: [
      { address: '7050', type: 'shortcode', kind: 'to' },
      { address: '+15551000001', type: 'plmn', kind: 'to' },
    ],
  });
  t.equal(router.route(m, 0), vasp, 'the short code: the second entry, before the catch-all');
  t.equal(router.route(m, 1), smsc, 'the number: only the catch-all takes it');
  t.same(router.match(m, 0), { entry: 'short codes', route: vasp }, 'match says which entry routed');
  t.same(router.match(m, 1), { entry: 'everything else', route: smsc });
  t.equal(new StaticRouter([routeWhen('never', () => false, vasp)]).match(m, 0), undefined, 'no entry answers: no match');
  const reversed = new StaticRouter([routeWhen('everything else', all, smsc), routeBy('short codes', () => vasp)]);
  t.equal(reversed.route(m, 0), smsc, 'the same entries the other way round: the catch-all wins');
});

t.test('append, add and addResolver come after the entries there, in the order called', async (t) => {
  const all = () => true;
  const router = new StaticRouter([routeWhen('first', (m) => m.report !== undefined, vasp)])
    .add((_m, i) => i === 1, smsc, 'second')
    .append([routeWhen('third', (_m, i) => i === 2, local)])
    .addResolver(() => vasp);
  t.same(router.names(), ['first', 'second', 'third', 'resolver'], 'addResolver without a name: "resolver"');
  t.same(new StaticRouter().add(all, smsc).names(), ['fixed smsc:a'], 'add without a name: named for its peer');
  const m = textMessage('m1', 4);
  t.equal(router.route(m, 1), smsc);
  t.equal(router.route(m, 2), local);
  t.same(router.match(m, 3), { entry: 'resolver', route: vasp }, 'the last entry takes what nothing before does');
  t.same(router.match(m, 1), { entry: 'second', route: smsc }, 'an earlier entry keeps what it matches');
});

// The gateway's route table (src/routes.ts) as the composition root builds it from a configuration: the
// edges' entries in precedence order (SMPP keyword replies, MM1, MM7 per VASP in mm7.vasps order), and a
// recipient that two entries could take goes to the one listed first. The gateway is built, not started
// (no listener, no SMSC bind): routing needs neither.
import t, { type Test } from 'tap';
import pino from 'pino';
import type { CoreMessage } from '../../src/core/message.js';
import { routeBy, type RouteEntry } from '../../src/core/static-router.js';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { routeTable } from '../../src/routes.js';
import { KEYWORD_REPLY_PEER } from '../../src/smpp/edge.js';
import { textMessage } from '../helpers/messages.js';

const LOCAL = '+15550001234';

function gateway(t: Test, o: { mm1?: boolean; smpp?: boolean } = {}): Gateway {
  const vasp = (id: string, senders: string[]) => ({
    id,
    username: id,
    password: `pw-${id}`,
    senders,
    url: `http://127.0.0.1:1/${id}`,
  });
  const config = ConfigSchema.parse({
    ops: { port: 0 },
    mm1: { enabled: o.mm1 ?? true, port: 0, localPrefixes: ['+1555'], tokenSecret: 'x'.repeat(32) },
    // Both VASPs claim 7050; "first" also lists a number in the local range among its senders.
    mm7: { port: 0, vasps: [vasp('first', ['7050', LOCAL]), vasp('second', ['7050', '7060'])] },
    smpp: (o.smpp ?? true) ? { smscs: [{ id: 'sim', host: '127.0.0.1', port: 1, systemId: 'mmsc' }] } : { smscs: [] },
  });
  const gw = new Gateway(config, pino({ level: 'silent' }));
  t.teardown(() => gw.store.close());
  return gw;
}

/** A message from a VASP (MM7) to one recipient. */
const to = (address: string, type: 'plmn' | 'shortcode' | 'other', overrides: Partial<CoreMessage> = {}): CoreMessage =>
  textMessage('m1', 1, Date.now(), { recipients: [{ address, type, kind: 'to' }], ...overrides });

t.test('the table lists the edges in precedence order: SMPP keyword replies, MM1, MM7 per VASP in config order', async (t) => {
  t.same(gateway(t).router.names(), [
    'smpp keyword replies',
    'mm1 reports to handsets',
    'mm1 local subscribers',
    'mm7 first: REST callbacks',
    'mm7 first: reports',
    'mm7 first: short codes',
    'mm7 second: REST callbacks',
    'mm7 second: reports',
    'mm7 second: short codes',
  ]);
  t.same(
    gateway(t, { mm1: false, smpp: false }).router.names(),
    [
      'mm7 first: REST callbacks',
      'mm7 first: reports',
      'mm7 first: short codes',
      'mm7 second: REST callbacks',
      'mm7 second: reports',
      'mm7 second: short codes',
    ],
    'an edge that is off has no entries',
  );
});

t.test('a number in the local range that a VASP lists among its senders: MM1 is listed first, a handset gets it', async (t) => {
  const m = to(LOCAL, 'plmn');
  t.match(gateway(t).router.match(m, 0), { entry: 'mm1 local subscribers', route: { peer: 'mm1:notify' } });
  t.match(
    gateway(t, { mm1: false }).router.match(m, 0),
    { entry: 'mm7 first: short codes', route: { peer: 'mm7:first' } },
    'the VASP entry takes it too when MM1 is off',
  );
});

t.test('a short code two VASPs claim goes to the one listed first in mm7.vasps', async (t) => {
  const router = gateway(t).router;
  t.match(router.match(to('7050', 'shortcode'), 0), { entry: 'mm7 first: short codes', route: { peer: 'mm7:first' } });
  t.match(router.match(to('7060', 'shortcode'), 0), { entry: 'mm7 second: short codes', route: { peer: 'mm7:second' } });
});

t.test("a STOP confirmation to an address that is also a VASP's short code goes by SMS: keyword replies come first", async (t) => {
  const router = gateway(t).router;
  const reply = to('7050', 'other', { origin: { iface: 'smpp', peer: KEYWORD_REPLY_PEER } });
  t.match(router.match(reply, 0), { entry: 'smpp keyword replies', route: { peer: 'smpp:sim' } });
  const mo = to('7050', 'shortcode', { origin: { iface: 'smpp', peer: 'sim' } });
  t.match(router.match(mo, 0), { entry: 'mm7 first: short codes' }, 'an MO text to the short code is the VASP’s');
  t.match(
    gateway(t, { smpp: false }).router.match(reply, 0),
    { entry: 'mm7 first: short codes' },
    'without the SMPP edge the VASP entry would take the confirmation',
  );
});

t.test('routeTable orders by edge, not by the order the edges are given in', async (t) => {
  const entry = (name: string): RouteEntry => routeBy(name, () => undefined);
  const names = routeTable({ mm7: [entry('v1'), entry('v2')], mm1: [entry('h')], smpp: [entry('s')] }).map((e) => e.name);
  t.same(names, ['s', 'h', 'v1', 'v2']);
  t.same(routeTable({}), [], 'no edges, no entries');
});

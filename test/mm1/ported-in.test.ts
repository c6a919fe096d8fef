// A subscriber who ported in from another carrier's range (docs/portability.md) is ours on MM1 too: the WAP
// gateway names a number outside mm1.localPrefixes, the portability lookup says `home`, so its m-send-req is
// accepted and it may fetch a message sent to it; a number of the same range not ported in is still refused.
import pino from 'pino';
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gateway } from '../../src/gateway.js';
import { ConfigSchema } from '../../src/ops/config.js';
import { Handset } from '../helpers/handset.js';

const PORTED_IN = '+16660000009';
const OTHER = '+16660000010';
const LOCAL = '+15550000002';

t.test('a ported-in handset sends and retrieves; its unported neighbour is refused', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'mmsc-np-')), 'ported.csv');
  writeFileSync(file, `${PORTED_IN},home\n`);
  const config = ConfigSchema.parse({
    ops: { port: 0 },
    mm1: { port: 0, localPrefixes: ['+1555'], tokenSecret: 'x'.repeat(32), push: 'pap', papUrl: 'http://127.0.0.1:1/pap' },
    mm7: { enabled: false },
    portability: { file },
  });
  const gw = new Gateway(config, pino({ level: 'silent' }));
  const listeners = await gw.start();
  await gw.whenReady();
  t.teardown(() => gw.stop());
  const mm1 = listeners.find((l) => l.iface === 'mm1')!.address;
  const send = (from: string, to: string) =>
    new Handset(from, mm1).post({
      messageType: 'm-send-req',
      transactionId: `tx-${from}`,
      mmsVersion: '1.2',
      from: { insertAddress: true },
      to: [`${to}/TYPE=PLMN`],
      contentType: { mediaType: 'text/plain', params: { charset: 'utf-8' } },
      // A single-part message: the body is the text (a `parts` list here would be a multipart declared text/plain).
      body: Buffer.from('hi'),
    });

  const sent = await send(PORTED_IN, LOCAL);
  t.match(sent.pdu, { messageType: 'm-send-conf', responseStatus: 'Ok' }, 'the ported-in subscriber may send');
  const refused = await send(OTHER, LOCAL);
  t.equal(refused.status, 403, 'the same range, not ported in: no subscriber of ours');

  const toPorted = await send(LOCAL, PORTED_IN);
  t.match(toPorted.pdu, { responseStatus: 'Ok' }, 'a message to the ported-in number is accepted');
  const messageId = (toPorted.pdu as { messageId?: string }).messageId!;
  const location = `${config.mm1.publicUrl}/r/${gw.tokens.retrieval(messageId, 0)}`;
  const got = await new Handset(PORTED_IN, mm1).retrieve(location);
  t.equal(got.status, 200);
  t.match(got.pdu, { messageType: 'm-retrieve-conf' }, 'and fetched by its recipient');
});

import t from 'tap';
import type { ContentRef, CoreMessage } from '../../src/core/message.js';
import { adaptFor } from '../../src/mm1/adapt.js';

const LIMITS = { maxMessageBytes: 10_000, contentTypes: ['text/plain', 'application/smil', 'image/*'] };

function message(parts: Array<[string, number]>, allowAdaptations?: boolean): CoreMessage {
  const refs: ContentRef[] = parts.map(([contentType, size], index) => ({ index, contentType, size }));
  const m: CoreMessage = {
    id: 'm1',
    originator: { address: '+15550000001', type: 'plmn' },
    recipients: [{ address: '+15550000002', type: 'plmn', kind: 'to' }],
    contentType: 'application/vnd.wap.multipart.related',
    parts: refs,
    expiresAt: 1e13,
    deliveryReport: false,
    readReport: false,
    priority: 'normal',
    messageClass: 'personal',
    origin: { iface: 'mm7', peer: 'v' },
    receivedAt: 0,
  };
  if (allowAdaptations !== undefined) m.service = { allowAdaptations };
  return m;
}

t.test('a message that fits, of allowed types, is sent whole', async (t) => {
  t.strictSame(
    adaptFor(
      message([
        ['application/smil', 100],
        ['image/jpeg', 5000],
        ['text/plain', 50],
      ]),
      LIMITS,
    ),
    { keep: [0, 1, 2], size: 5150, removed: [] },
  );
});

t.test('parts of types handsets do not take are removed; refused when adaptation is forbidden', async (t) => {
  const a = adaptFor(
    message([
      ['text/plain', 50],
      ['application/x-game', 4000],
      ['image/gif', 300],
    ]),
    LIMITS,
  );
  t.strictSame('keep' in a && [a.keep, a.size], [[0, 2], 350]);
  t.match('removed' in a && a.removed[0], /part 1 \(application\/x-game\): type not supported/);
  const r = adaptFor(
    message(
      [
        ['text/plain', 50],
        ['application/x-game', 4000],
      ],
      false,
    ),
    LIMITS,
  );
  t.match('refuse' in r && r.refuse, /does not allow adaptation/);
});

t.test('over the size limit: the largest media go first, text and SMIL stay; refused when nothing can fit', async (t) => {
  const a = adaptFor(
    message([
      ['application/smil', 200],
      ['image/jpeg', 8000],
      ['image/png', 3000],
      ['text/plain', 100],
    ]),
    LIMITS,
  );
  t.strictSame('keep' in a && [a.keep, a.size], [[0, 2, 3], 3300], 'the 8000-byte JPEG removed, the PNG kept');
  const forbidden = adaptFor(
    message(
      [
        ['image/jpeg', 8000],
        ['image/png', 3000],
      ],
      false,
    ),
    LIMITS,
  );
  t.match('refuse' in forbidden && forbidden.refuse, /over the handset limit .* does not allow adaptation/);
  const text = adaptFor(message([['text/plain', 20_000]]), LIMITS);
  t.match('refuse' in text && text.refuse, /even without its media/);
  const onlySmil = adaptFor(
    message([
      ['application/smil', 100],
      ['application/x-game', 50],
    ]),
    LIMITS,
  );
  t.match('refuse' in onlySmil && onlySmil.refuse, /no part of the message/);
});

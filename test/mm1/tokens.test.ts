import t from 'tap';
import { newMessageId } from '../../src/core/message-id.js';
import { Tokens } from '../../src/mm1/tokens.js';

const tokens = new Tokens('test-secret-0123456789');

t.test('round trip: retrieval, view and transaction ids, compact and text message ids', async (t) => {
  for (const id of [newMessageId(), newMessageId(0), 'peer-assigned/id with spaces', '0abc-0123456789abcdef']) {
    for (const i of [0, 1, 127, 128, 5000]) {
      t.same(tokens.open(tokens.retrieval(id, i)), { kind: 'retrieve', messageId: id, recipientIndex: i }, `retrieval ${id} ${i}`);
      t.same(
        tokens.openTransaction(tokens.transaction(id, i)),
        { kind: 'retrieve', messageId: id, recipientIndex: i },
        `transaction ${id} ${i}`,
      );
    }
    t.same(tokens.open(tokens.view(id)), { kind: 'view', messageId: id }, `view ${id}`);
  }
  const id = newMessageId();
  t.ok(tokens.retrieval(id, 3).length <= 34, `a retrieval token of the gateway's own ids is short (${tokens.retrieval(id, 3).length})`);
  t.ok(tokens.transaction(id, 3).length <= 22, 'so is a transaction id');
  t.match(tokens.retrieval(id, 3), /^[A-Za-z0-9_-]+$/, 'URL-safe');
});

t.test('openRetrieval: the copy and its Transaction-ID (the one the notification carried); nothing for a view token', async (t) => {
  for (const id of [newMessageId(), 'peer-assigned/id with spaces']) {
    for (const i of [0, 5000]) {
      t.strictSame(tokens.openRetrieval(tokens.retrieval(id, i)), {
        messageId: id,
        recipientIndex: i,
        transactionId: tokens.transaction(id, i),
      });
    }
    t.equal(tokens.openRetrieval(tokens.view(id)), undefined, 'a view token');
  }
  const good = tokens.retrieval(newMessageId(), 0);
  t.equal(tokens.openRetrieval(`${good.slice(0, -1)}${good.endsWith('A') ? 'B' : 'A'}`), undefined, 'altered');
  t.equal(new Tokens('another-secret-98765432').openRetrieval(good), undefined, 'another deployment secret');
});

t.test('forged, altered, foreign and garbage tokens open to nothing', async (t) => {
  const id = newMessageId();
  const good = tokens.retrieval(id, 0);
  const other = new Tokens('another-secret-98765432');
  t.equal(other.open(good), undefined, 'another deployment secret');
  t.equal(tokens.open(other.retrieval(id, 0)), undefined);
  t.equal(tokens.open(tokens.transaction(id, 0)), undefined, 'a transaction id is no token');
  for (let i = 0; i < good.length; i++) {
    const c = good[i] === 'A' ? 'B' : 'A';
    t.equal(tokens.open(good.slice(0, i) + c + good.slice(i + 1)), undefined, `character ${i} changed`);
  }
  for (const bad of ['', 'x', `${good}x`, `${good}AA`, good.slice(0, -1), `${good}=`, 'a.b', '../../etc', '%00', 'A'.repeat(1000)]) {
    t.equal(tokens.open(bad), undefined, `garbage ${JSON.stringify(bad.slice(0, 20))}`);
  }
  t.equal(tokens.openTransaction('not base64!'), undefined);
  t.equal(tokens.openTransaction(Buffer.from([9, 9, 9]).toString('base64url')), undefined, 'unknown tag');
  t.throws(() => new Tokens('short'), RangeError, 'a secret under 16 bytes is refused');
});

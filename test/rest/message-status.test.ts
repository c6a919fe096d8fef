// A message's state as a whole (GET /v1/messages/:id and the list's `status`, issue 24) from its recipients' states.
import t from 'tap';
import type { CoreMessage } from '../../src/core/message.js';
import { messageStatus } from '../../src/rest/message-status.js';

const NOW = Date.parse('2026-12-06T12:00:00Z');
/** A message with `n` recipients, sent at once or with a sendAt. */
const message = (n: number, earliestDeliveryAt?: number) =>
  ({
    recipients: Array.from({ length: n }, (_, i) => ({ address: `+1415555010${i}`, type: 'plmn', kind: 'to' })),
    earliestDeliveryAt,
  }) as CoreMessage;

t.test('a message is queued, delivering, completed or cancelled by its recipients', async (t) => {
  t.equal(messageStatus(message(2), ['queued', 'queued'], NOW), 'queued', 'none tried yet');
  t.equal(messageStatus(message(2), ['queued', 'retrying'], NOW), 'delivering', 'one being tried');
  t.equal(messageStatus(message(2), ['delivered', 'deferred'], NOW), 'delivering', 'one final, one not yet');
  t.equal(messageStatus(message(3), ['delivered', 'failed', 'expired'], NOW), 'completed', 'every one final');
  t.equal(messageStatus(message(2), ['cancelled', 'delivered'], NOW), 'completed', 'cancelled and delivered: final, not cancelled');
  t.equal(messageStatus(message(2), ['cancelled', 'cancelled'], NOW), 'cancelled', 'every one cancelled');
});

t.test('scheduled while its sendAt is ahead and nothing was tried', async (t) => {
  t.equal(messageStatus(message(2, NOW + 60_000), ['queued', 'queued'], NOW), 'scheduled');
  t.equal(messageStatus(message(2, NOW + 60_000), ['queued', 'cancelled'], NOW), 'scheduled', 'one cancelled, the other still to go');
  t.equal(messageStatus(message(2, NOW - 1), ['queued', 'queued'], NOW), 'queued', 'sendAt passed');
  t.equal(messageStatus(message(1, NOW + 60_000), [], NOW), 'scheduled', 'no states yet: queued');
});

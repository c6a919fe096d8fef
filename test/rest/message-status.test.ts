// A message's state as a whole (GET /v1/messages/:id `status`, issue 24) from its recipients' states.
import t from 'tap';
import { messageStatus } from '../../src/rest/message-view.js';

t.test('a message is queued, delivering, completed or cancelled by its recipients', async (t) => {
  t.equal(messageStatus(['queued', 'queued']), 'queued', 'none tried yet');
  t.equal(messageStatus(['queued', 'retrying']), 'delivering', 'one being tried');
  t.equal(messageStatus(['delivered', 'deferred']), 'delivering', 'one final, one not yet');
  t.equal(messageStatus(['delivered', 'failed', 'expired']), 'completed', 'every one final');
  t.equal(messageStatus(['cancelled', 'delivered']), 'completed', 'cancelled and delivered: final, not cancelled');
  t.equal(messageStatus(['cancelled', 'cancelled']), 'cancelled', 'every one cancelled');
});

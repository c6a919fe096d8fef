// Message-IDs: the time part and 64 random bits (drawn from a pooled CSPRNG buffer, refilled every 512 ids).
import t from 'tap';
import { newMessageId } from '../../src/core/message-id.js';

t.test('ids are well formed, carry the time, and never repeat across pool refills', async (t) => {
  const seen = new Set<string>();
  const randoms = new Set<string>();
  let bad = 0;
  for (let i = 0; i < 5_000; i++) {
    const id = newMessageId(1_700_000_000_000 + i);
    const m = /^([0-9a-z]+)-([0-9a-f]{16})$/.exec(id);
    if (!m || parseInt(m[1] as string, 36) !== 1_700_000_000_000 + i) bad++;
    seen.add(id);
    randoms.add(m?.[2] ?? '');
  }
  t.equal(bad, 0, 'every id is <time base 36>-<16 hex digits> with the time given');
  t.equal(seen.size, 5_000, 'no id repeats');
  t.equal(randoms.size, 5_000, 'no random part repeats (ten pool refills)');
  t.not(newMessageId(0).split('-')[1], newMessageId(0).split('-')[1], 'the same time gives different ids');
});

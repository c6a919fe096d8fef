import t from 'tap';
import { BoundMembers } from '../../src/ops/bound-members.js';

class Backend {
  #secret = 41;
  value = 'plain';
  read(): number {
    return ++this.#secret;
  }
}

t.test('functions bound to the target once each (private fields reachable); other values as they are', async (t) => {
  const b = new Backend();
  const members = new BoundMembers(b);
  const read = members.get('read') as () => number;
  t.equal(read(), 42, 'called unbound, it still reaches the private field');
  t.equal(members.get('read'), read, 'the same binding on the next read');
  t.equal(members.get('value'), 'plain');
  t.equal(members.get('missing'), undefined);
  b.read = () => 7;
  const replaced = members.get('read') as () => number;
  t.not(replaced, read, 'a replaced method gets a binding of its own');
  t.equal(replaced(), 7);
});

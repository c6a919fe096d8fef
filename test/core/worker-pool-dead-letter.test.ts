// A job that uses its attempts becomes a dead letter, and the worker says so in one warning an operator can
// act on: Message-ID, recipient, peer and the last reason. Embedded store, a route that always fails.
import t from 'tap';
import type { Delivery, DeliveryResult, Route } from '../../src/core/router.js';
import { StaticRouter } from '../../src/core/static-router.js';
import { WorkerPool } from '../../src/core/worker-pool.js';
import { createMemoryStore } from '../../src/store/memory/index.js';
import { captureLog, LEVEL } from '../helpers/log-capture.js';
import { textMessage } from '../helpers/messages.js';
import { until } from '../helpers/until.js';

class Failing implements Route {
  readonly peer = 'vasp:down';
  readonly limits = { rate: 1000, burst: 1000, maxInFlight: 10 };
  attempts = 0;
  async send(d: Delivery): Promise<DeliveryResult> {
    this.attempts++;
    return { status: 'retry', error: `HTTP 502 from the VASP (attempt ${d.attempt})` };
  }
}

t.test('a dead-lettered job is logged at warn with Message-ID, recipient, peer and the last reason', async (t) => {
  const { queue, throttle } = createMemoryStore({ maxAttempts: 3 });
  const route = new Failing();
  const cap = captureLog('debug');
  const workers = new WorkerPool({
    queue,
    throttle,
    router: new StaticRouter().add(() => true, route),
    log: cap.log,
    retry: { baseMs: 1, factor: 1, maxMs: 1, jitter: 0 },
    minPollMs: 1,
    maxPollMs: 5,
  });
  const message = textMessage('m-dead-1', 1);
  await queue.enqueue(message, [Buffer.from('hello')], [route.peer]);
  workers.start();
  t.teardown(() => workers.stop());
  await until('the job dead-lettered', async () => (await queue.deadLetters()).length === 1);
  await workers.stop();

  t.equal(route.attempts, 3, 'three attempts, then no more');
  const dead = cap.lines.filter((l) => /dead-letter/i.test(l.msg));
  t.equal(dead.length, 1, 'one line for the dead letter');
  t.equal(dead[0]?.level, LEVEL.warn, 'at warn');
  t.match(dead[0], {
    messageId: 'm-dead-1',
    recipient: message.recipients[0]!.address,
    peer: 'vasp:down',
    reason: 'HTTP 502 from the VASP (attempt 3)',
  });
});

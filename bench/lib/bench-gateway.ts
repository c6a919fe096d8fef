// The gateway as a bench's `--server` child runs it (bench/flow.ts, bench/mm1.ts): logs discarded unless
// asked for, started, the store ready, and bound to the SMSC simulator before the load starts.
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { Gateway, type Listener } from '../../src/gateway.js';
import type { Config } from '../../src/ops/config.js';

export async function startBenchGateway(config: Config, logLevel: string): Promise<{ gw: Gateway; listeners: Listener[] }> {
  // A level other than silent still writes nowhere: the bench measures the logging's cost, not a terminal's.
  const log =
    logLevel === 'silent' ? pino({ level: 'silent' }) : pino({ level: logLevel }, pino.destination({ dest: '/dev/null', sync: false }));
  const gw = new Gateway(config, log);
  const listeners = await gw.start();
  await gw.whenReady();
  for (let i = 0; !gw.smpp?.clients[0]?.bound; i++) {
    if (i > 500) throw new Error('the gateway did not bind to the SMSC simulator');
    await sleep(10);
  }
  return { gw, listeners };
}

import type { Config } from './ops/config.js';
import type { Logger } from './ops/logger.js';
import { Metrics } from './ops/metrics.js';
import { OpsServer } from './ops/server.js';

/** Interfaces the gateway can listen on; one line is printed per listener. */
export type InterfaceName = 'mm1' | 'mm7' | 'mm4' | 'smpp' | 'ops';

export interface Listener {
  iface: InterfaceName;
  address: string;
}

/**
 * Composition root: builds every interface from the config, starts them, stops them in reverse order.
 * Today only the ops listener exists; the store, queue and protocol edges join as their issues land.
 */
export class Gateway {
  readonly metrics = new Metrics();
  private readonly ops: OpsServer;
  private listeners: Listener[] = [];

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    this.ops = new OpsServer(this.metrics, log.child({ iface: 'ops' }));
  }

  async start(): Promise<Listener[]> {
    const address = await this.ops.listen(this.config.ops.host, this.config.ops.port);
    this.listeners.push({ iface: 'ops', address });
    this.log.info({ iface: 'ops', address }, 'listening');
    this.ops.ready = true;
    return this.listeners;
  }

  async stop(): Promise<void> {
    this.ops.ready = false;
    await this.ops.close();
    this.log.info('stopped');
  }
}

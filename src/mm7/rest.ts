import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config, VaspConfig } from '../ops/config.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { Queue } from '../store/types.js';
import type { Intake } from './intake.js';

export interface RestApiOptions {
  config: Config['mm7'];
  queue: Queue;
  intake: Intake;
  metrics: Metrics;
  log: Logger;
  now?: () => number;
}

/** PLACEHOLDER, being written: the REST submission API (POST /v1/messages, GET /v1/messages/:id). */
export class RestApi {
  constructor(private readonly o: RestApiOptions) {}

  async handle(_req: IncomingMessage, res: ServerResponse, _vasp: VaspConfig): Promise<void> {
    void this.o;
    res.writeHead(501).end();
  }
}

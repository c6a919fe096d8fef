import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The one metrics module: every metric the gateway exports is declared here, with bounded label values
 * (interface names, routes and status classes from fixed sets; never addresses or message ids).
 */
export class Metrics {
  readonly registry = new Registry();

  readonly opsRequests = new Counter({
    name: 'mmsc_ops_http_requests_total',
    help: 'Requests to the ops listener, by route and HTTP status code',
    labelNames: ['route', 'code'] as const,
    registers: [this.registry],
  });

  constructor() {
    this.registry.setDefaultLabels({ service: 'mmsc' });
    collectDefaultMetrics({ register: this.registry, prefix: 'mmsc_' });
  }
}

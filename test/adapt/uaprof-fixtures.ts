// Shared by the UAProf fetcher's tests: a UaProfiles over a real store, the guard and a metrics registry.
import { pino } from 'pino';
import type { MediaStore } from '../../src/core/ports.js';
import { UaProfiles } from '../../src/adapt/uaprof.js';
import { type UaProfConfig, UaProfSchema } from '../../src/ops/config-content.js';
import { Metrics } from '../../src/ops/metrics.js';
import { MemoryMediaStore } from '../../src/store/memory/media.js';
import { OutboundGuard, type Resolver } from '../../src/transport/outbound-guard.js';

export interface Profiles {
  profiles: UaProfiles;
  store: MediaStore;
  metrics: Metrics;
  clock: { now: number };
  config: UaProfConfig;
}

/** UaProfiles with loopback allowed (unless `allow` says otherwise), config over the schema's defaults. */
export function profiles(
  o: {
    allow?: string[];
    resolve?: Resolver;
    config?: Partial<UaProfConfig>;
    store?: MediaStore;
    clock?: { now: number };
    maxConcurrent?: number;
  } = {},
): Profiles {
  const clock = o.clock ?? { now: Date.UTC(2030, 0, 15, 12) };
  const now = () => clock.now;
  const store = o.store ?? new MemoryMediaStore(now);
  const config = UaProfSchema.parse({ timeoutMs: 2_000, waitMs: 300, ...o.config });
  const metrics = new Metrics();
  const guard = new OutboundGuard({ allow: o.allow ?? ['127.0.0.0/8', '::1/128'], ...(o.resolve ? { resolve: o.resolve } : {}) });
  const p = new UaProfiles({
    store,
    guard,
    config,
    metrics: metrics.content,
    log: pino({ level: 'silent' }),
    now,
    ...(o.maxConcurrent !== undefined ? { maxConcurrent: o.maxConcurrent } : {}),
  });
  return { profiles: p, store, metrics, clock, config };
}

/** mmsc_uaprof_fetches_total{result} now. */
export async function fetches(metrics: Metrics): Promise<Record<string, number>> {
  const m = await metrics.content.uaprofFetches.get();
  return Object.fromEntries(m.values.map((v) => [String(v.labels.result), v.value]));
}

import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { CachedPortability, HOME_NETWORK, mapSource, type NumberPortability, type PortingTable, tableSource } from '../core/portability.js';
import { EnumPortability, networksByDomain } from '../core/portability-enum.js';
import { parsePortingTable } from '../core/portability-file.js';
import { NaptrClient } from '../transport/naptr.js';
import { ConfigError, type PortabilityConfig } from './config.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export interface PortabilityDeps {
  /** The store's table (portability.redis). */
  table: PortingTable;
  /** Our MMS domains (mm4.domains): an ENUM answer in one of them is ours. */
  homeDomains: readonly string[];
  /** The peer carriers routing knows, with their MMS domains where configured (ENUM answers map to them). */
  peers: ReadonlyArray<{ id: string; domain?: string | undefined }>;
  metrics: Metrics;
  log: Logger;
}

/**
 * The number portability lookup the configuration asks for (docs/portability.md): the file table, the
 * store's table, then ENUM, behind one cache; undefined when no source is configured (routing by prefix
 * only). A bad file, or one naming a network routing does not know, fails the start naming portability.file.
 */
export function buildPortability(config: PortabilityConfig, deps: PortabilityDeps): NumberPortability | undefined {
  const networks = new Set([HOME_NETWORK, ...deps.peers.map((p) => p.id)]);
  const sources: NumberPortability[] = [];
  const names: string[] = [];
  if (config.file !== undefined) {
    const map = readTable(config.file, networks);
    sources.push(mapSource('file', map));
    names.push('file');
    deps.log.info({ file: config.file, numbers: map.size }, 'number portability: file table loaded');
  }
  if (config.redis) {
    sources.push(tableSource('store', deps.table));
    names.push('store');
  }
  if (config.enumEnabled) {
    const client = new NaptrClient({ servers: config.enumServers, timeoutMs: config.timeoutMs });
    const byDomain = networksByDomain(deps.homeDomains, deps.peers);
    sources.push(
      new EnumPortability({
        apex: config.enumApex,
        resolve: (domain) => client.resolve(domain),
        networkOf: (domain) => byDomain.get(domain),
        log: deps.log,
      }),
    );
    names.push('enum');
  }
  if (sources.length === 0) return undefined;
  deps.log.info(
    { sources: names, timeoutMs: config.timeoutMs, enumApex: config.enumEnabled ? config.enumApex : undefined },
    'number portability on',
  );
  return new CachedPortability({
    sources,
    known: (n) => networks.has(n),
    ttlMs: config.cacheTtlMs,
    negativeTtlMs: config.negativeTtlMs,
    maxEntries: config.maxEntries,
    timeoutMs: config.timeoutMs,
    log: deps.log,
    observe: (outcome) => deps.metrics.portabilityLookups.inc({ outcome }),
  });
}

/** The file table, checked: every network must be one routing knows. */
function readTable(file: string, networks: ReadonlySet<string>): Map<string, string> {
  let map: Map<string, string>;
  try {
    map = parsePortingTable(readFileSync(file, 'utf8'), extname(file).toLowerCase() === '.json' ? 'json' : 'csv');
  } catch (err) {
    throw new ConfigError(`portability.file: ${file}: ${(err as Error).message}`);
  }
  for (const [number, network] of map) {
    if (!networks.has(network))
      throw new ConfigError(`portability.file: ${file}: ${number} names network ${network}, which is neither home nor an mm4.peers id`);
  }
  return map;
}

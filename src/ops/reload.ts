import type { Logger } from 'pino';
import type { Config } from './config.js';
import { errorFields } from '../core/log-error.js';

/**
 * Reload (SIGHUP, POST /admin/reload; docs/operations-peers.md "Reload"): the config is read again and
 * validated; a bad one is refused with the error naming the key and the config in force is kept. A good one
 * is compared with the one in force key by key (`mm7.vasps`, `smpp.smscs`, ...; entries of a list with ids
 * one by one), and each change is either applied live, by the reloader that claims its key, or reported
 * `restart required` (listener ports and the like): never ignored in silence. Connections are not touched
 * by a reload unless a reloader's own change needs it (an SMSC removed).
 */
export interface Reloader {
  /** For logs and the report ("mm7 accounts", "tls certificates"). */
  name: string;
  /** The config keys (`section.key`) this reloader applies live. */
  keys: readonly string[];
  /** Run on every reload, changed keys or not (a certificate file whose contents changed under the same name). */
  always?: boolean;
  /** Apply `next`; returns what it did, one line each, for the report. Throws when it cannot (nothing applied). */
  apply(next: Config, prev: Config): Promise<string[] | undefined> | string[] | undefined;
}

/** One changed key, and what changed in it. */
export interface ConfigChange {
  key: string;
  /** `mm7.vasps[acme]: changed (password, allowIps)`, `smpp.smscs[b]: added`, `mm7.port: changed`: never a value. */
  detail: string[];
}

export type ReloadReport =
  | {
      ok: true;
      /** What changed in the config, key by key (no values: some are secrets). */
      changed: string[];
      /** What the reloaders did. */
      applied: string[];
      /** Changed keys no reloader applies: the running gateway keeps the old value until a restart. */
      restartRequired: string[];
    }
  | { ok: false; error: string };

/** Two config values equal as data (configs are plain JSON-shaped data after parsing). */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** `[{id, ...}]`: a list of entries named by id (mm7.vasps, smpp.smscs, mm4.peers). */
function byId(v: unknown): Map<string, Record<string, unknown>> | undefined {
  if (!Array.isArray(v) || !v.every((e) => typeof e === 'object' && e !== null && typeof (e as { id?: unknown }).id === 'string'))
    return undefined;
  return new Map(v.map((e) => [(e as { id: string }).id, e as Record<string, unknown>]));
}

function entryDetail(key: string, a: Map<string, Record<string, unknown>>, b: Map<string, Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const [id, entry] of b) {
    const old = a.get(id);
    if (!old) out.push(`${key}[${id}]: added`);
    else if (!same(old, entry)) {
      const fields = [...new Set([...Object.keys(old), ...Object.keys(entry)])].filter((f) => !same(old[f], entry[f]));
      out.push(`${key}[${id}]: changed (${fields.join(', ')})`);
    }
  }
  for (const id of a.keys()) if (!b.has(id)) out.push(`${key}[${id}]: removed`);
  if (out.length === 0) out.push(`${key}: order changed`);
  return out;
}

/** The keys (`section.key`) whose values differ between two configs, with what changed. */
export function diffConfig(prev: Config, next: Config): ConfigChange[] {
  const changes: ConfigChange[] = [];
  const p = prev as unknown as Record<string, Record<string, unknown> | undefined>;
  const n = next as unknown as Record<string, Record<string, unknown> | undefined>;
  for (const section of new Set([...Object.keys(p), ...Object.keys(n)])) {
    const a = p[section] ?? {};
    const b = n[section] ?? {};
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (same(a[k], b[k])) continue;
      const key = `${section}.${k}`;
      const la = byId(a[k] ?? []);
      const lb = byId(b[k] ?? []);
      changes.push({ key, detail: la && lb ? entryDetail(key, la, lb) : [`${key}: changed`] });
    }
  }
  return changes;
}

/** Holds the config in force and reloads it: one reload at a time (a second waits for the first). */
export class ConfigReloader {
  private readonly reloaders: Reloader[] = [];
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private current: Config,
    private readonly load: () => Config,
    private readonly log: Logger,
  ) {}

  /** The config in force (the last one a reload applied). */
  get config(): Config {
    return this.current;
  }

  /** Add a reloader (the gateway's own, and others': TLS certificates). Its keys become live-reloadable. */
  register(reloader: Reloader): void {
    this.reloaders.push(reloader);
  }

  reload(): Promise<ReloadReport> {
    const run = this.running.then(() => this.reloadNow());
    this.running = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(): Promise<ReloadReport> {
    let next: Config;
    try {
      next = this.load();
    } catch (err) {
      // A ConfigError names the key and where the value came from (config.ts).
      const error = err instanceof Error ? err.message : String(err);
      this.log.error({ err: errorFields(err) }, 'reload refused: the config in force is kept');
      return { ok: false, error };
    }
    const prev = this.current;
    const changes = diffConfig(prev, next);
    const changedKeys = new Set(changes.map((c) => c.key));
    const applied: string[] = [];
    for (const r of this.reloaders) {
      if (!r.always && !r.keys.some((k) => changedKeys.has(k))) continue;
      try {
        applied.push(...((await r.apply(next, prev)) ?? []));
      } catch (err) {
        const error = `${r.name}: ${err instanceof Error ? err.message : String(err)}`;
        this.log.error(
          { err: errorFields(err), reloader: r.name, applied },
          'reload failed part way: the config in force is kept for the rest',
        );
        return { ok: false, error };
      }
    }
    const live = new Set(this.reloaders.flatMap((r) => r.keys));
    const restartRequired = changes.filter((c) => !live.has(c.key)).map((c) => c.key);
    const changed = changes.flatMap((c) => c.detail);
    this.current = next;
    this.log.info({ changed, applied, restartRequired }, restartRequired.length > 0 ? 'reloaded; some changes need a restart' : 'reloaded');
    return { ok: true, changed, applied, restartRequired };
  }
}

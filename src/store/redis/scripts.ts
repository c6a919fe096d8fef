import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

/**
 * The Lua scripts of src/store/redis/lua, one file each, named `<name>-<number of keys>.lua` with a header
 * listing KEYS, ARGV and what it returns. common.lua is prepended to the queue scripts. ioredis'
 * defineCommand sends EVALSHA and falls back to EVAL once per connection (NOSCRIPT after a Redis restart
 * included).
 */
const LUA_DIR = new URL('./lua/', import.meta.url);

const SCRIPTS = {
  mmscEnqueue: { file: 'enqueue-2.lua', common: true },
  mmscTake: { file: 'take-3.lua', common: true },
  mmscSettle: { file: 'settle-3.lua', common: true },
  mmscCancel: { file: 'cancel-3.lua', common: true },
  mmscReplace: { file: 'replace-4.lua', common: true },
  mmscNote: { file: 'note-1.lua', common: true },
  mmscComplete: { file: 'complete-3.lua', common: true },
  mmscHide: { file: 'hide-2.lua', common: true },
  mmscUnhide: { file: 'unhide-2.lua', common: true },
  mmscPeerStats: { file: 'peer-stats-2.lua', common: true },
  mmscRequeue: { file: 'requeue-3.lua', common: true },
  mmscThrottleAcquire: { file: 'throttle-acquire-2.lua', common: false },
  mmscThrottleRelease: { file: 'throttle-release-1.lua', common: false },
  mmscClaim: { file: 'claim-1.lua', common: false },
  mmscRelease: { file: 'release-1.lua', common: false },
  mmscStageDiscard: { file: 'stage-discard-2.lua', common: false },
  mmscFrequency: { file: 'frequency-1.lua', common: false },
} as const;

export type ScriptName = keyof typeof SCRIPTS;
export type ScriptArg = string | number | Buffer;
export type ScriptCall = (keys: readonly string[], args: readonly ScriptArg[]) => Promise<unknown>;

const sources = new Map<ScriptName, { lua: string; keys: number }>();
function source(name: ScriptName): { lua: string; keys: number } {
  let s = sources.get(name);
  if (!s) {
    const spec = SCRIPTS[name];
    const keys = Number(/-(\d+)\.lua$/.exec(spec.file)![1]);
    const body = readFileSync(new URL(spec.file, LUA_DIR), 'utf8');
    const lua = spec.common ? `${readFileSync(new URL('common.lua', LUA_DIR), 'utf8')}\n${body}` : body;
    s = { lua, keys };
    sources.set(name, s);
  }
  return s;
}

/** Define the script on the client (once) and return a typed caller. */
export function script(client: Redis | Cluster, name: ScriptName): ScriptCall {
  const { lua, keys } = source(name);
  const registry = client as unknown as Record<string, ((...a: ScriptArg[]) => Promise<unknown>) | undefined>;
  if (typeof registry[name] !== 'function') client.defineCommand(name, { numberOfKeys: keys, lua });
  const fn = registry[name]!.bind(client);
  return (k, a) => {
    if (k.length !== keys) throw new Error(`${name} takes ${keys} keys, got ${k.length}`);
    return fn(...k, ...a);
  };
}

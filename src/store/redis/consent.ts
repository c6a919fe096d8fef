import type { Cluster, Redis } from 'ioredis';
import type { ConsentChange, ConsentEntry, ConsentRecord, ConsentStore } from '../../core/ports.js';
import { CONSENT_HISTORY_LIMIT, changeOf } from '../memory/consent.js';

/**
 * Write one change: append it to the pair's history (trimmed to the newest ARGV[4]) and make it current, or,
 * with ARGV[3] = '1' (an import), only when the current change is not newer. Both keys share the sender's
 * hash tag (one slot: atomic on a Cluster too).
 *   KEYS[1] the sender's hash (subscriber -> current change JSON), KEYS[2] the pair's history list (newest first)
 *   ARGV[1] subscriber, ARGV[2] change JSON, ARGV[3] '1' = only if newer, ARGV[4] history limit, ARGV[5] the change's at
 * Returns 1 when the change became current, else 0.
 */
const WRITE = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('LPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[4]) - 1)
if cur and ARGV[3] == '1' then
  local ok, c = pcall(cjson.decode, cur)
  if ok and type(c) == 'table' and tonumber(c.at) and tonumber(c.at) > tonumber(ARGV[5]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

/** Entries read per HSCAN/SSCAN round of an export. */
const PAGE = 512;

/**
 * The consent registry in Redis. Per sender, one hash tag `{c:<sender>}` (so that a pair's state and history
 * are written in one script, on a Cluster too):
 *   <prefix>:{c:<sender>}:cur              hash   subscriber -> current change (JSON {state, source, at, proof?})
 *   <prefix>:{c:<sender>}:h:<subscriber>   list   the pair's changes, newest first, the last `historyLimit`
 *   <prefix>:{c}:senders                   set    every sender with an entry (for an export of all senders)
 * No TTL: consent and its proof are kept until changed. One sender's registry lives in one slot: a sender
 * with millions of subscribers is one large hash on one master (HSCAN pages it for export).
 */
export class RedisConsent implements ConsentStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
    private readonly historyLimit = CONSENT_HISTORY_LIMIT,
  ) {}

  private tag(sender: string): string {
    // Braces would end the hash tag early; no short code or sender id has them.
    return `${this.prefix}:{c:${sender.replace(/[{}]/g, '_')}}`;
  }

  private get sendersKey(): string {
    return `${this.prefix}:{c}:senders`;
  }

  async get(sender: string, subscriber: string): Promise<ConsentRecord | undefined> {
    const tag = this.tag(sender);
    const [cur, history] = await Promise.all([
      this.redis.hget(`${tag}:cur`, subscriber),
      this.redis.lrange(`${tag}:h:${subscriber}`, 0, this.historyLimit - 1),
    ]);
    const current = cur === null ? undefined : parseChange(cur);
    if (!current) return undefined;
    const changes = history.map(parseChange).filter((c): c is ConsentChange => c !== undefined);
    return { sender, subscriber, ...current, history: changes.reverse() };
  }

  async set(sender: string, subscriber: string, change: ConsentChange): Promise<void> {
    await this.write({ sender, subscriber, ...change }, false);
  }

  async *export(sender?: string): AsyncIterable<ConsentEntry> {
    if (sender !== undefined) {
      yield* this.exportSender(sender);
      return;
    }
    let cursor = '0';
    do {
      const [next, senders] = await this.redis.sscan(this.sendersKey, cursor, 'COUNT', PAGE);
      cursor = next;
      for (const s of senders) yield* this.exportSender(s);
    } while (cursor !== '0');
  }

  private async *exportSender(sender: string): AsyncIterable<ConsentEntry> {
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(`${this.tag(sender)}:cur`, cursor, 'COUNT', PAGE);
      cursor = next;
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const change = parseChange(flat[i + 1]!);
        if (change) yield { sender, subscriber: flat[i]!, ...change };
      }
    } while (cursor !== '0');
  }

  async import(entries: readonly ConsentEntry[]): Promise<number> {
    let current = 0;
    // One script per entry, a bounded number at once (the caller bounds the list).
    for (let i = 0; i < entries.length; i += PAGE) {
      const results = await Promise.all(entries.slice(i, i + PAGE).map((e) => this.write(e, true)));
      current += results.filter(Boolean).length;
    }
    return current;
  }

  private async write(e: ConsentEntry, onlyIfNewer: boolean): Promise<boolean> {
    const tag = this.tag(e.sender);
    const json = JSON.stringify(changeOf(e));
    const [done] = await Promise.all([
      this.redis.eval(
        WRITE,
        2,
        `${tag}:cur`,
        `${tag}:h:${e.subscriber}`,
        e.subscriber,
        json,
        onlyIfNewer ? '1' : '0',
        this.historyLimit,
        e.at,
      ),
      this.redis.sadd(this.sendersKey, e.sender),
    ]);
    return done === 1;
  }
}

function parseChange(json: string): ConsentChange | undefined {
  try {
    const c = JSON.parse(json) as ConsentChange;
    return typeof c === 'object' && c !== null && typeof c.state === 'string' && typeof c.at === 'number' ? changeOf(c) : undefined;
  } catch {
    return undefined;
  }
}

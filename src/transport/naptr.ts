// A DNS client for NAPTR records (RFC 3403), for ENUM lookups (RFC 6116): node:dns's Resolver on the
// configured servers, one try each with a timeout, and an outer deadline so that no caller waits longer.
import { Resolver } from 'node:dns/promises';

/** A NAPTR record as node:dns gives it. */
export interface NaptrAnswer {
  flags: string;
  service: string;
  regexp: string;
  replacement: string;
  order: number;
  preference: number;
}

export interface NaptrClientOptions {
  /** DNS servers, `host` or `host:port` (`[v6]:port`); [] = the system's resolvers. */
  servers: readonly string[];
  /** One query's whole wait, all servers. */
  timeoutMs: number;
}

/** DNS answers meaning "no such records" (RFC 2308: NXDOMAIN, NODATA), as node:dns names them. */
const NONE = new Set(['ENOTFOUND', 'ENODATA']);

export class NaptrClient {
  private readonly resolver: Resolver;

  constructor(private readonly o: NaptrClientOptions) {
    // c-ares' own timeout is per try and server; one try per server, the outer deadline in resolve().
    this.resolver = new Resolver({ timeout: o.timeoutMs, tries: 1 });
    if (o.servers.length > 0) this.resolver.setServers([...o.servers]);
  }

  /** The NAPTR records of `domain`; [] when it has none or does not exist. Throws on timeout or DNS failure. */
  async resolve(domain: string): Promise<NaptrAnswer[]> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`NAPTR ${domain}: no answer within ${this.o.timeoutMs} ms`)), this.o.timeoutMs);
    });
    try {
      return await Promise.race([
        this.resolver.resolveNaptr(domain).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== undefined && NONE.has(err.code)) return [];
          throw new Error(`NAPTR ${domain}: ${err.code ?? err.message}`);
        }),
        deadline,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

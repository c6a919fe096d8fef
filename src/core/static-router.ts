import type { CoreMessage } from './message.js';
import type { Route, Router } from './router.js';

type Resolver = (message: CoreMessage, recipientIndex: number) => Route | undefined;

/**
 * A router over a list of entries, first match wins: fixed routes chosen by a predicate, and resolvers that
 * pick among several routes themselves (e.g. an SMSC by destination prefix). The interface issues (MM1,
 * MM4, MM7, SMPP) add theirs; with none, every recipient is refused as unroutable (a delivery report says so)
 * rather than kept forever.
 */
export class StaticRouter implements Router {
  private readonly entries: Resolver[] = [];

  add(matches: (message: CoreMessage, recipientIndex: number) => boolean, route: Route): this {
    this.entries.push((m, i) => (matches(m, i) ? route : undefined));
    return this;
  }

  addResolver(resolve: Resolver): this {
    this.entries.push(resolve);
    return this;
  }

  route(message: CoreMessage, recipientIndex: number): Route | undefined {
    for (const resolve of this.entries) {
      const r = resolve(message, recipientIndex);
      if (r) return r;
    }
    return undefined;
  }
}

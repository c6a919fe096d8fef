import type { CoreMessage } from './message.js';
import type { Route, Router } from './router.js';

type Resolver = (message: CoreMessage, recipientIndex: number) => Route | undefined;

/**
 * One line of a route table: a name (for the table's listing and its tests) and the recipients it takes.
 * An edge returns its entries (mm1Routes, vaspRoutes, smppRoutes); the composition root lists them in
 * precedence order (src/routes.ts).
 */
export interface RouteEntry {
  readonly name: string;
  /** The route for this recipient, or undefined: not this entry's, the next one is asked. */
  route(message: CoreMessage, recipientIndex: number): Route | undefined;
}

/** An entry with a fixed route, taking the recipients `matches` accepts. */
export function routeWhen(name: string, matches: (message: CoreMessage, recipientIndex: number) => boolean, route: Route): RouteEntry {
  return { name, route: (m, i) => (matches(m, i) ? route : undefined) };
}

/** An entry that picks among several routes itself (e.g. an SMSC by destination prefix). */
export function routeBy(name: string, resolve: Resolver): RouteEntry {
  return { name, route: resolve };
}

/**
 * A router over a list of entries, first match wins: fixed routes chosen by a predicate, and resolvers that
 * pick among several routes themselves (e.g. an SMSC by destination prefix). The gateway builds it from its
 * route table (src/routes.ts); with no entries, every recipient is refused as unroutable (a delivery report
 * says so) rather than kept forever. Entries appended later (add, addResolver: tests' stand-ins) come after.
 */
export class StaticRouter implements Router {
  private readonly entries: RouteEntry[];
  private preparer: ((message: CoreMessage) => Promise<CoreMessage>) | undefined;

  constructor(entries: Iterable<RouteEntry> = []) {
    this.entries = [...entries];
  }

  /** Entries after the ones there (the gateway's route table, once its edges are built). */
  append(entries: Iterable<RouteEntry>): this {
    this.entries.push(...entries);
    return this;
  }

  /**
   * Put `next` where the block `old` is (entries appended together, e.g. the gateway's route table), in
   * place: a reload's new routes, consulted from the next routing on. An empty `old` is taken as the start.
   */
  replace(old: readonly RouteEntry[], next: readonly RouteEntry[]): this {
    const at = old.length === 0 ? 0 : this.entries.indexOf(old[0]!);
    if (at < 0) throw new Error('route entries to replace are not in this router');
    this.entries.splice(at, old.length, ...next);
    return this;
  }

  add(matches: (message: CoreMessage, recipientIndex: number) => boolean, route: Route, name = `fixed ${route.peer}`): this {
    this.entries.push(routeWhen(name, matches, route));
    return this;
  }

  addResolver(resolve: Resolver, name = 'resolver'): this {
    this.entries.push(routeBy(name, resolve));
    return this;
  }

  /** The step new messages take before routing (Router.prepare): the number portability lookup. */
  prepareWith(step: (message: CoreMessage) => Promise<CoreMessage>): this {
    this.preparer = step;
    return this;
  }

  async prepare(message: CoreMessage): Promise<CoreMessage> {
    return this.preparer ? this.preparer(message) : message;
  }

  /** The entries' names, in the order they are consulted. */
  names(): string[] {
    return this.entries.map((e) => e.name);
  }

  route(message: CoreMessage, recipientIndex: number): Route | undefined {
    // On every delivery attempt: no allocation (match() below says which entry, for tests and tools).
    for (const entry of this.entries) {
      const route = entry.route(message, recipientIndex);
      if (route) return route;
    }
    return undefined;
  }

  /** The entry that routes this recipient (the first that answers) and its route; undefined when none does. */
  match(message: CoreMessage, recipientIndex: number): { entry: string; route: Route } | undefined {
    for (const entry of this.entries) {
      const route = entry.route(message, recipientIndex);
      if (route) return { entry: entry.name, route };
    }
    return undefined;
  }
}

import type { CoreMessage } from './message.js';
import type { Route, Router } from './router.js';

/**
 * A router over a fixed set of routes chosen by a predicate per route, first match wins. The interface
 * issues (MM1, MM4, MM7, SMPP) add their routes; with none, every recipient is refused as unroutable
 * (a delivery report says so) rather than kept forever.
 */
export class StaticRouter implements Router {
  private readonly routes: Array<{ matches: (message: CoreMessage, recipientIndex: number) => boolean; route: Route }> = [];

  add(matches: (message: CoreMessage, recipientIndex: number) => boolean, route: Route): this {
    this.routes.push({ matches, route });
    return this;
  }

  route(message: CoreMessage, recipientIndex: number): Route | undefined {
    return this.routes.find((r) => r.matches(message, recipientIndex))?.route;
  }
}

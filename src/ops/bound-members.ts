type Method = (...args: unknown[]) => unknown;

/**
 * The members of an object as a forwarding Proxy hands them out: functions bound to the object (a backend may
 * be a class with private fields, which a call through the proxy could not reach), each bound once per
 * function rather than on every read (the store's queue is read through two such proxies on every request).
 */
export class BoundMembers {
  private readonly bound = new Map<PropertyKey, { fn: Method; bound: Method }>();

  constructor(private readonly target: object) {}

  get(key: PropertyKey): unknown {
    const value: unknown = Reflect.get(this.target, key, this.target);
    if (typeof value !== 'function') return value;
    const known = this.bound.get(key);
    if (known?.fn === value) return known.bound;
    const bound = (value as Method).bind(this.target);
    this.bound.set(key, { fn: value as Method, bound });
    return bound;
  }
}

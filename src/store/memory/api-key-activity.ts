import type { ApiKeyActivity } from '../../core/ports.js';

/**
 * API keys' last-used times in this process (the embedded store: one instance, lost on restart). Bounded by
 * the configured keys: only a key that authenticated a request is ever touched.
 */
export class MemoryApiKeyActivity implements ApiKeyActivity {
  private readonly byVasp = new Map<string, Map<string, number>>();

  async touch(vasp: string, name: string, at: number): Promise<void> {
    let keys = this.byVasp.get(vasp);
    if (!keys) this.byVasp.set(vasp, (keys = new Map()));
    keys.set(name, Math.max(at, keys.get(name) ?? 0));
  }

  async lastUsed(vasp: string): Promise<Map<string, number>> {
    return new Map(this.byVasp.get(vasp));
  }
}

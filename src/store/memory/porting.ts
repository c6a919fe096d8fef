import type { PortingTable } from '../../core/portability.js';

/** The ported-numbers table in this process only (the embedded store: filled by whoever holds it, gone with it). */
export class MemoryPortingTable implements PortingTable {
  private readonly table = new Map<string, string>();

  async get(e164: string): Promise<string | undefined> {
    return this.table.get(e164);
  }

  async set(e164: string, network: string): Promise<void> {
    this.table.set(e164, network);
  }

  async delete(e164: string): Promise<void> {
    this.table.delete(e164);
  }
}

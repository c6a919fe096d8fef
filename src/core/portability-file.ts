import { isE164 } from '../../protocols/address/index.js';

/**
 * The text of a static porting table, +E.164 number -> network id ('home' or a peer's id), as an operator
 * exports it from the national portability database:
 * - JSON: one object, `{ "+31612345678": "carrier-c", "+31687654321": "home" }`;
 * - CSV: one `number,network` per line; blank lines and lines starting with "#" are skipped, and so is a
 *   first line `number,network` (a header).
 * Throws an Error naming the line (CSV) or the key (JSON) that is wrong; a number listed twice is an error
 * (which of two answers is meant cannot be guessed).
 */
export function parsePortingTable(text: string, format: 'json' | 'csv'): Map<string, string> {
  const map = new Map<string, string>();
  const add = (number: string, network: string, where: string): void => {
    if (!isE164(number)) throw new Error(`${where}: ${JSON.stringify(number.slice(0, 24))} is not a +E.164 number`);
    if (!/^[^\s{},]+$/.test(network)) throw new Error(`${where}: ${JSON.stringify(network.slice(0, 40))} is not a network id`);
    if (map.has(number)) throw new Error(`${where}: ${number} is listed twice`);
    map.set(number, network);
  };
  if (format === 'json') {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (err) {
      throw new Error(`not JSON: ${(err as Error).message}`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('expected a JSON object of number -> network');
    for (const [number, network] of Object.entries(v)) {
      if (typeof network !== 'string') throw new Error(`${number}: the network must be a string`);
      add(number, network, number);
    }
    return map;
  }
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const cells = line.split(',').map((c) => c.trim());
    if (i === firstContentLine(lines) && cells[0]?.toLowerCase() === 'number') return;
    if (cells.length !== 2) throw new Error(`line ${i + 1}: expected number,network`);
    add(cells[0]!, cells[1]!, `line ${i + 1}`);
  });
  return map;
}

function firstContentLine(lines: readonly string[]): number {
  return lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'));
}

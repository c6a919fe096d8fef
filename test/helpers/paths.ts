import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (test/helpers/.. /..). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * shared/ beside the checkout (or SHARED_DIR). Tests that need the public vectors fail when it is missing:
 * they must never pass by skipping.
 */
export function sharedDir(): string {
  const dir = process.env.SHARED_DIR ?? resolve(ROOT, '..', 'shared');
  if (!existsSync(resolve(dir, 'vectors'))) throw new Error(`public vectors not found in ${dir} (set SHARED_DIR)`);
  return dir;
}

export const MMSC_BIN = resolve(ROOT, 'bin', 'mmsc');

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (test/helpers/.. /..). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The public test vectors, vendored into the project (conformance/vectors/, see SOURCES.md there): third-party
 * test data, kept out of the npm package by package.json `files`.
 */
export const VECTORS = resolve(ROOT, 'conformance', 'vectors');

export const MMSC_BIN = resolve(ROOT, 'bin', 'mmsc');

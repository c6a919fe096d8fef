import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/**
 * Structured logs (pino, JSON lines) on stderr, so that stdout stays for the listener lines and the
 * command output. Stable fields: `iface`, `peer`, `messageId`, `err`.
 */
export function createLogger(config: Pick<Config, 'log'>): Logger {
  return pino({ level: config.log.level, base: { service: 'mmsc' } }, pino.destination(2));
}

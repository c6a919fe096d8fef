import { pino, type Logger, type LoggerOptions } from 'pino';
import type { Config } from './config.js';
import { ADDRESS_FIELDS, maskValue } from './mask.js';

export type { Logger };

/**
 * The options of the gateway's logger, apart from where lines go (tests capture them with the same
 * options). log.maskNumbers: pino's redaction masks the subscriber addresses in ADDRESS_FIELDS of every
 * line, whichever module wrote it, instead of each call site remembering to.
 */
export function loggerOptions(config: Pick<Config, 'log'>): LoggerOptions {
  const options: LoggerOptions = { level: config.log.level, base: { service: 'mmsc' } };
  if (config.log.maskNumbers) options.redact = { paths: [...ADDRESS_FIELDS], censor: (value: unknown) => maskValue(value) };
  return options;
}

/**
 * Structured logs (pino, JSON lines) on stderr, so that stdout stays for the listener lines and the
 * command output. Stable fields: `iface`, `peer`, `messageId`, `err` (an Error: pino writes its type,
 * message, stack and `code`). Message state changes: src/ops/state-log.ts.
 */
export function createLogger(config: Pick<Config, 'log'>): Logger {
  return pino(loggerOptions(config), pino.destination(2));
}

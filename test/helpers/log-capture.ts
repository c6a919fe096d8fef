import { pino, type Logger } from 'pino';

/** One pino log line, parsed. */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** pino levels by name, for filtering captured lines. */
export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/**
 * A pino logger whose JSON lines are kept in memory, for tests that assert what the gateway logs (the lines
 * as an operator would read them, parsed). `options`: the gateway's own (loggerOptions(config), with its
 * masking), when a test checks what they do to the lines.
 */
export function captureLog(
  level: pino.LevelWithSilent = 'debug',
  options: pino.LoggerOptions = {},
): { log: Logger; lines: LogLine[]; text: () => string } {
  const raw: string[] = [];
  const lines: LogLine[] = [];
  const log = pino(
    { ...options, level },
    {
      write: (line: string) => {
        raw.push(line);
        lines.push(JSON.parse(line) as LogLine);
      },
    },
  );
  return { log, lines, text: () => raw.join('') };
}

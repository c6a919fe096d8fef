/**
 * One command of `mmsc`: its usage text (printed by `mmsc <command> --help` and, all together, by `mmsc
 * --help`) and what it runs. src/cli.ts dispatches through a table of these, so a command is one entry.
 */
export interface Command {
  /** The usage lines, each starting `  mmsc <command>`. */
  usage: string;
  /** The command answers --help itself (with more than `usage`); else the dispatcher prints `usage`. */
  ownHelp?: boolean;
  /** Runs with the arguments after the command name; resolves with the exit code. */
  run(argv: string[]): Promise<number> | number;
}

/** The exit code of a usage error. */
export const EXIT_USAGE = 1;

/** Writes the usage of a command called the wrong way: exit code 1. */
export function usageError(command: Command, why?: string): number {
  process.stderr.write(`${why !== undefined ? `mmsc: ${why}\n` : ''}usage:\n${command.usage}\n`);
  return EXIT_USAGE;
}

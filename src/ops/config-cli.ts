// `mmsc config check|print|example` and `--help` for every `mmsc config` command (`reference` is in cli.ts).
// Operators check a file before a restart (CI, a config management run), and print what a gateway runs with
// (after defaults and the environment) with the secrets hidden, to compare instances or paste into a ticket.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { ConfigError, ConfigSchema, loadConfig, unknownEnvVars } from './config.js';
import { configExample } from './config-example.js';
import { redactConfig } from './config-redact.js';

export interface ConfigCliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

const HELP: Record<string, string> = {
  check: `usage: mmsc config check FILE [--file-only]
  Validate FILE (JSON or YAML) as \`mmsc serve --config FILE\` would load it, with the MMSC_* environment
  variables laid over it (--file-only: without them). Prints "FILE: OK" and exits 0, or prints each problem
  with its key and where its value came from (file:line, env NAME, default) and exits 1.`,
  print: `usage: mmsc config print [--config FILE] [--json]
  Print the effective configuration: the defaults, FILE (or MMSC_CONFIG) and the MMSC_* environment variables,
  with every secret (passwords, tokens, the password of a URL) shown as <redacted>. YAML, or JSON with --json.
  Exits 1 with the problems when the configuration is invalid.`,
  example: `usage: mmsc config example [-o FILE]
  Print a configuration with every key, its description and its default, generated from the schema (the
  committed copy is deploy/mmsc.example.yaml); -o: write it to FILE.`,
  reference: `usage: mmsc config reference [--readme FILE]
  Print every configuration key as a Markdown table (environment variable, default, description);
  --readme: rewrite the generated block of FILE (docs/configuration.md).`,
};

export const CONFIG_USAGE = `usage: mmsc config check|print|example|reference ...
  check FILE [--file-only]          validate a configuration file (exit 0 "OK", or 1 and the problems)
  print [--config FILE] [--json]    the effective configuration (defaults, file, environment), secrets redacted
  example [-o FILE]                 every key commented, with its default (deploy/mmsc.example.yaml)
  reference [--readme FILE]         every key as a Markdown table
  mmsc config COMMAND --help        more on one of them`;

const COMMANDS = new Set(['check', 'print', 'example']);

/** Whether `mmsc config <argv>` is for configCli (the rest, `reference`, is cli.ts's). */
export function isConfigCliCommand(argv: readonly string[]): boolean {
  return argv.length === 0 || COMMANDS.has(argv[0] ?? '') || argv.includes('--help') || argv.includes('-h') || argv[0] === 'help';
}

const processIo: ConfigCliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
};

/** One problem a line: the loader joins them with "; " before each key. */
function problems(e: ConfigError): string[] {
  return e.message.replace(/^invalid configuration: /, '').split(/; (?=(?:[\w.]+|\(root\)): )/);
}

export function configCli(argv: readonly string[], io: ConfigCliIo = processIo): number {
  const [sub, ...rest] = argv;
  if (sub === 'help' || sub === '--help' || sub === '-h') {
    const topic = HELP[rest[0] ?? ''];
    io.out(`${topic ?? CONFIG_USAGE}\n`);
    return 0;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(`${HELP[sub ?? ''] ?? CONFIG_USAGE}\n`);
    return 0;
  }
  try {
    if (sub === 'check') return check(rest, io);
    if (sub === 'print') return print(rest, io);
    if (sub === 'example') return example(rest, io);
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const p of problems(e)) io.err(`${p}\n`);
      return 1;
    }
    io.err(`mmsc config ${sub}: ${(e as Error).message}\n${HELP[sub ?? ''] ?? CONFIG_USAGE}\n`);
    return 1;
  }
  io.err(`${CONFIG_USAGE}\n`);
  return 1;
}

function check(argv: readonly string[], io: ConfigCliIo): number {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { 'file-only': { type: 'boolean', default: false } },
  });
  if (positionals.length !== 1) throw new Error('give one FILE');
  const file = positionals[0]!;
  const env = values['file-only'] ? {} : io.env;
  try {
    loadConfig({ file, env });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    io.err(`${file}: invalid\n`);
    for (const p of problems(e)) io.err(`  ${p}\n`);
    return 1;
  }
  // Not an error (the gateway starts), but a value that sets nothing is worth a word.
  for (const u of values['file-only'] ? [] : unknownEnvVars(env))
    io.err(
      `warning: unknown environment variable ${u.name} ignored${u.suggestion !== undefined ? ` (did you mean ${u.suggestion}?)` : ''}\n`,
    );
  io.out(`${file}: OK${values['file-only'] ? '' : ' (with the environment)'}\n`);
  return 0;
}

function print(argv: readonly string[], io: ConfigCliIo): number {
  const { values } = parseArgs({
    args: [...argv],
    options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean', default: false } },
  });
  const config = loadConfig({ env: io.env, ...(values.config !== undefined ? { file: values.config } : {}) });
  const shown = redactConfig(config, ConfigSchema);
  if (values.json) io.out(`${JSON.stringify(shown, null, 2)}\n`);
  else {
    const source = values.config ?? io.env.MMSC_CONFIG;
    io.out(`# effective configuration: defaults${source ? `, ${source}` : ''}, environment; secrets redacted\n`);
    io.out(stringify(shown, { lineWidth: 0 }));
  }
  return 0;
}

function example(argv: readonly string[], io: ConfigCliIo): number {
  const { values } = parseArgs({ args: [...argv], options: { output: { type: 'string', short: 'o' } } });
  const text = configExample();
  if (values.output !== undefined) writeFileSync(values.output, text);
  else io.out(text);
  return 0;
}

import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { decodePdu, encodePdu, pduFromJson, pduToJson, PduError } from '../protocols/mms/index.js';
import { PushError } from '../protocols/push/index.js';
import { unwrapPush } from './push-input.js';
import { Gateway } from './gateway.js';
import { ConfigError, loadConfig, unknownEnvVars } from './ops/config.js';
import { configReference, spliceReference } from './ops/config-reference.js';
import { configCli, isConfigCliCommand } from './ops/config-cli.js';
import { createLogger } from './ops/logger.js';
import { hashSecret } from './ops/secret.js';
import type { Command } from './cli/command.js';
import { demoCommand } from './cli/demo.js';
import { handsetCommand } from './cli/handset.js';
import { openApiCommand } from './cli/openapi.js';
import { smscSimCommand } from './cli/smsc-sim.js';
import { apikeyCommand } from './cli/apikey.js';
import { packageVersion } from './cli/version.js';

const SERVE: Pick<Command, 'usage'> = { usage: '  mmsc serve [--config FILE]          start every interface built so far' };
const PDU: Pick<Command, 'usage'> = {
  usage: `  mmsc pdu decode FILE|- [--data]     binary MMS PDU -> JSON (--data adds part data as base64)
  mmsc pdu decode --push [--hex] FILE...|-
                                      the same from what an SMSC receives: the short_message of each
                                      segment (UDH first), in order, or a bare WSP push; --hex: the input
                                      is hex text, one segment per line
  mmsc pdu encode FILE|- [-o FILE]    JSON -> binary MMS PDU (stdout unless -o)`,
};
const SECRET: Pick<Command, 'usage'> = {
  usage: `  mmsc secret hash                    an scrypt hash of the secret read from stdin (one line), for a
                                      password or token key that is only checked (mm7.vasps[].password...)`,
};
const CONFIG: Pick<Command, 'usage' | 'ownHelp'> = {
  // config-cli.ts answers `mmsc config [COMMAND] --help` itself, one page per config command.
  ownHelp: true,
  usage: `  mmsc config check|print|example ...  see mmsc config --help
  mmsc config reference [--readme FILE]
                                      every configuration key as a Markdown table (environment variable,
                                      default, description); --readme: rewrite the generated block of FILE`,
};

/** Every command by name: `mmsc NAME ...` runs it, `mmsc NAME --help` prints its usage. */
const COMMANDS: Record<string, Command> = {
  serve: { ...SERVE, run: (argv) => serve(argv) },
  pdu: { ...PDU, run: (argv) => pdu(argv) },
  config: { ...CONFIG, run: (argv) => (isConfigCliCommand(argv) ? configCli(argv) : configCommand(argv)) },
  secret: { ...SECRET, run: (argv) => secretCommand(argv) },
  demo: demoCommand((config, log) => new Gateway(config, log)),
  'smsc-sim': smscSimCommand,
  handset: handsetCommand,
  apikey: apikeyCommand,
  openapi: openApiCommand,
};

const USAGE = `usage:
${Object.values(COMMANDS)
  .map((c) => c.usage)
  .join('\n')}
  mmsc --version                      the package version
  mmsc COMMAND --help                 the usage of one command
exit codes: 0 ok, 1 usage or I/O error, 2 malformed input`;

const HELP = new Set(['--help', '-h']);

/** Exit status for malformed protocol input, distinct from usage errors. */
const EXIT_MALFORMED = 2;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const entry = command !== undefined && Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (entry && !entry.ownHelp && rest.some((a) => HELP.has(a))) {
      process.stdout.write(`usage:\n${entry.usage}\n`);
      return 0;
    }
    if (entry) return await entry.run(rest);
    if (command === '--version' || command === '-V' || command === 'version') {
      process.stdout.write(`${packageVersion()}\n`);
      return 0;
    }
    if (command !== undefined && (HELP.has(command) || command === 'help')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    process.stderr.write(`${USAGE}\n`);
    return 1;
  } catch (e) {
    if (e instanceof PduError || e instanceof PushError) {
      process.stderr.write(`mmsc: ${e.message}\n`);
      return EXIT_MALFORMED;
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`mmsc: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`mmsc: ${(e as Error).message}\n`);
    return 1;
  }
}

function readInput(name: string | undefined): Buffer {
  if (name === undefined) throw new Error('missing input: give a FILE or - for stdin');
  return readFileSync(name === '-' ? 0 : name);
}

function pdu(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      data: { type: 'boolean', default: false },
      output: { type: 'string', short: 'o' },
      push: { type: 'boolean', default: false },
      hex: { type: 'boolean', default: false },
    },
  });
  const [sub, file, ...more] = positionals;
  if (sub === 'decode') {
    let bytes: Buffer;
    if (values.push) {
      const files = [file, ...more].filter((f): f is string => f !== undefined);
      if (files.length === 0) readInput(undefined);
      if (files.filter((f) => f === '-').length > 1) throw new Error('stdin (-) can be read once');
      const unwrapped = unwrapPush(
        files.map((f) => readInput(f)),
        { hex: values.hex },
      );
      // The envelope on stderr: stdout stays the PDU's JSON (so that it pipes into `pdu encode`).
      process.stderr.write(`${unwrapped.summary}\n`);
      bytes = unwrapped.pdu;
    } else {
      if (values.hex) throw new Error('--hex goes with --push');
      if (more.length > 0) throw new Error('one input: several are segments of a push (--push)');
      bytes = readInput(file);
    }
    const model = decodePdu(bytes);
    process.stdout.write(`${JSON.stringify(pduToJson(model, { data: values.data }), null, 2)}\n`);
    return 0;
  }
  if (sub === 'encode') {
    const text = readInput(file).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new PduError('ENCODE_INVALID', `input is not JSON: ${(e as Error).message}`, -1);
    }
    // Part files are relative to the JSON file (or the working directory for stdin).
    const base = file && file !== '-' ? dirname(resolve(file)) : process.cwd();
    const out = encodePdu(pduFromJson(json, (p) => readFileSync(resolve(base, p))));
    if (values.output) writeFileSync(values.output, out);
    else process.stdout.write(out);
    return 0;
  }
  process.stderr.write(`${USAGE}\n`);
  return 1;
}

function configCommand(argv: string[]): number {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { readme: { type: 'string' } } });
  if (positionals.length !== 1 || positionals[0] !== 'reference') {
    process.stderr.write(`${USAGE}\n`);
    return 1;
  }
  const reference = configReference();
  if (values.readme === undefined) process.stdout.write(`${reference}\n`);
  else writeFileSync(values.readme, spliceReference(readFileSync(values.readme, 'utf8'), reference));
  return 0;
}

async function serve(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } } });
  const source = values.config !== undefined ? { file: values.config } : {};
  const config = loadConfig(source);
  const log = createLogger(config);
  for (const u of unknownEnvVars()) {
    const hint = u.suggestion !== undefined ? `: did you mean ${u.suggestion}?` : '';
    log.warn(
      { env: u.name, ...(u.suggestion !== undefined ? { didYouMean: u.suggestion } : {}) },
      `unknown environment variable ${u.name} ignored${hint}`,
    );
  }
  const gateway = new Gateway(config, log, { loadConfig: () => loadConfig(source) });
  const listeners = await gateway.start();
  // The SMPP side is a client (ESME): its line names the SMSC it binds to rather than a local port.
  for (const l of listeners)
    process.stdout.write(
      `${l.iface.padEnd(5)} ${l.iface === 'smpp' ? 'binding to' : 'listening on'} ${l.address}${l.note ? ` ${l.note}` : ''}\n`,
    );
  await new Promise<void>((done) => {
    const stop = (signal: string): void => {
      log.info({ signal }, 'shutting down');
      gateway.stop().then(done, (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        done();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    // SIGHUP: reload the config (src/ops/reload.ts); the gateway logs what changed, or why it was refused.
    const hup = (): void => void gateway.reload().catch((err: unknown) => log.error({ err }, 'reload failed'));
    process.on('SIGHUP', hup);
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

/** `mmsc secret hash`: the secret from stdin (its one trailing newline dropped, as {file} secrets are read). */
async function secretCommand(argv: string[]): Promise<number> {
  if (argv.length !== 1 || argv[0] !== 'hash') {
    process.stderr.write(`${USAGE}\n`);
    return 1;
  }
  const value = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  if (value === '') throw new Error('an empty secret on stdin');
  process.stdout.write(`${await hashSecret(value, randomBytes(16))}\n`);
  return 0;
}

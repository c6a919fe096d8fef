// `mmsc --version` and `--help` on every command (the built command line, as a user runs it).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { mmscInProcess } from '../helpers/cli.js';
import { MMSC_BIN, ROOT } from '../helpers/paths.js';

const run = promisify(execFile);
const mmsc = (...args: string[]) => run(process.execPath, [MMSC_BIN, ...args], { cwd: ROOT });

const COMMANDS = ['serve', 'pdu', 'config', 'secret', 'demo', 'smsc-sim', 'handset', 'apikey', 'openapi'];

t.test('mmsc --version prints the version in package.json', async (t) => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  t.equal((await mmsc('--version')).stdout, `${version}\n`);
});

t.test('mmsc --help lists every command', async (t) => {
  const { stdout } = await mmsc('--help');
  for (const c of COMMANDS) t.match(stdout, new RegExp(`^ {2}mmsc ${c} `, 'm'), c);
  t.match(stdout, /^ {2}mmsc --version /m);
});

// In this process: a process per command would take minutes on a loaded machine.
t.test('--help on every command and subcommand prints its usage only, exit 0, and runs nothing', async (t) => {
  const cases = [
    ...COMMANDS.map((c) => [c, '--help']),
    ['pdu', 'decode', '--help'],
    ['config', 'reference', '-h'],
    ['handset', 'send', '--help'],
  ];
  for (const args of cases) {
    const { code, stdout } = await mmscInProcess(args);
    t.equal(code, 0, `${args.join(' ')}: exit 0`);
    // `mmsc config` has a usage page per config command (src/ops/config-cli.ts), in its own form.
    const form = args[0] === 'config' ? '^usage: mmsc config ' : `^usage:\\n {2}mmsc ${args[0]} `;
    t.match(stdout, new RegExp(form), `${args.join(' ')}: its usage`);
    const others = COMMANDS.filter((c) => c !== args[0]).filter((c) => new RegExp(`^ {2}mmsc ${c} `, 'm').test(stdout));
    t.same(others, [], `${args.join(' ')}: no other command's`);
  }
});

t.test('an unknown command: the whole usage on stderr, exit 1', async (t) => {
  const e = (await mmsc('frobnicate').catch((err: unknown) => err)) as { code: number; stderr: string };
  t.equal(e.code, 1);
  t.match(e.stderr, /^usage:\n {2}mmsc serve /);
});

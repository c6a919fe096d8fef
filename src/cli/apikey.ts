import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { API_KEY_NAME, apiKeyHash, newApiKey } from '../ops/api-key.js';
import { type Command, usageError } from './command.js';

const USAGE = `  mmsc apikey new [--name NAME] [--scope send|read|full]
                                      a new API key for the REST API (Authorization: Bearer): prints the key
                                      once (it is stored nowhere) and the mm7.vasps[].apiKeys entry (YAML) to
                                      add to the account: its name, sha256 hash and scope (default full)`;

const SCOPES = ['send', 'read', 'full'] as const;

/** A name for a key not given one: the day it was made and a few random characters (unique enough to paste). */
function defaultName(now: Date): string {
  return `key-${now.toISOString().slice(0, 10)}-${randomBytes(2).toString('hex')}`;
}

/** `mmsc apikey new`: the key on a line of its own (for a script: `sed -n 2p`), then the config entry. */
export const apikeyCommand: Command = {
  usage: USAGE,
  run(argv) {
    let parsed: ReturnType<typeof parse>;
    try {
      parsed = parse(argv);
    } catch (e) {
      return usageError(apikeyCommand, (e as Error).message);
    }
    const { values, positionals } = parsed;
    if (positionals.length !== 1 || positionals[0] !== 'new') return usageError(apikeyCommand);
    const name = values.name ?? defaultName(new Date());
    if (name.length > 64 || !API_KEY_NAME.test(name))
      return usageError(apikeyCommand, '--name takes 1 to 64 letters, digits, dots, underscores and hyphens');
    const scope = SCOPES.find((s) => s === (values.scope ?? 'full'));
    if (scope === undefined) return usageError(apikeyCommand, '--scope takes send, read or full');
    const key = newApiKey();
    process.stdout.write(
      [
        '# The API key, shown this once (only its hash is kept): give it to the account holder now.',
        key,
        "# Add this to the account's entry in mm7.vasps (beside an apiKeys list already there, add the item),",
        '# then reload the configuration (SIGHUP or POST /admin/reload):',
        'apiKeys:',
        `  - name: ${name}`,
        `    hash: ${apiKeyHash(key)}`,
        `    scope: ${scope}`,
        '',
      ].join('\n'),
    );
    return 0;
  },
};

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: 'string' }, scope: { type: 'string' } },
  });
}

// The codecs as a library, tried as a new user would: `npm pack` the codec package (protocols/, the workspace
// mmsc-protocols; packing runs its prepare script, which builds dist), install the tarball into an empty project
// and decode a public PDU vector through the package's export. The install must not bring the gateway's runtime
// dependencies: installed for the PDU codec, the whole gateway pulled 38 packages (ioredis, pino, prom-client, smpp,
// zod, busboy and theirs).
//
// Loopback only: the empty project gets a lockfile pinning what this repository's package-lock.json pins for the
// codec package's dependency tree, and `npm ci --offline` takes the tarballs from npm's cache (filled by the
// `npm ci` of this repository), so the test never reaches a registry.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ROOT, VECTORS } from '../helpers/paths.js';

interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}
interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  exports: Record<string, unknown>;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const server = readJson<Manifest>(join(ROOT, 'package.json'));
const codecs = readJson<Manifest>(join(ROOT, 'protocols', 'package.json'));
const lock = readJson<{ packages: Record<string, LockEntry> }>(join(ROOT, 'package-lock.json')).packages;

/** npm with the repository's own npm: offline, quiet, no audit (the child inherits PATH and the npm config). */
function npm(args: string[], cwd: string) {
  const r = spawnSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', timeout: 90_000 });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/**
 * The lockfile entries of `from`'s dependency tree, by their path in package-lock.json: each dependency found the
 * way Node finds it (the nearest node_modules up from the dependent's folder).
 */
function dependencyTree(from: string, found = new Map<string, LockEntry>()): Map<string, LockEntry> {
  const entry = lock[from];
  if (!entry) throw new Error(`package-lock.json has no ${from}: run npm install`);
  for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
    let base = from;
    let at: string | undefined;
    for (;;) {
      const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
      if (lock[candidate]) {
        at = candidate;
        break;
      }
      if (!base) break;
      const up = base.lastIndexOf('/node_modules/');
      base = up < 0 ? '' : base.slice(0, up);
    }
    if (!at) throw new Error(`package-lock.json cannot resolve ${name} for ${from}`);
    if (found.has(at)) continue;
    found.set(at, lock[at]!);
    dependencyTree(at, found);
  }
  return found;
}

/** Installed package folders below node_modules (scoped ones counted one by one, nested ones too). */
function installed(nodeModules: string): string[] {
  const names: string[] = [];
  const walk = (dir: string, prefix: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries) {
      if (name.startsWith('.')) continue;
      if (name.startsWith('@')) {
        for (const scoped of readdirSync(join(dir, name))) {
          names.push(`${prefix}${name}/${scoped}`);
          walk(join(dir, name, scoped, 'node_modules'), `${prefix}${name}/${scoped} > `);
        }
        continue;
      }
      names.push(`${prefix}${name}`);
      walk(join(dir, name, 'node_modules'), `${prefix}${name} > `);
    }
  };
  walk(nodeModules, '');
  return names.sort();
}

t.test('the codec package installs alone and decodes a PDU through its export', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mmsc-codec-install-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  // 1. Pack, as a publisher would (prepare builds dist).
  const [packed] = JSON.parse(npm(['pack', '--workspace', 'protocols', '--pack-destination', dir, '--json'], ROOT)) as {
    filename: string;
    files: { path: string }[];
  }[];
  const files = new Set(packed!.files.map((f) => f.path));
  for (const [key, target] of Object.entries(codecs.exports)) {
    const paths = typeof target === 'string' ? [target] : Object.values(target as Record<string, string>);
    for (const p of paths) t.ok(files.has(p.replace(/^\.\//, '')), `the tarball carries ${p} (export ${key})`);
  }
  t.notOk(
    [...files].some((f) => f.startsWith('src/') || (f.endsWith('.ts') && !f.endsWith('.d.ts'))),
    'only the built codecs, no sources',
  );

  // 2. An empty project that depends on the tarball, with the versions this repository pins.
  const user = join(dir, 'user');
  mkdirSync(user);
  const spec = `file:../${packed!.filename}`;
  const packages: Record<string, LockEntry> = {
    '': { name: 'codec-user', version: '1.0.0', dependencies: { [codecs.name]: spec } },
    [`node_modules/${codecs.name}`]: { version: codecs.version, resolved: spec, dependencies: codecs.dependencies },
  };
  for (const [path, entry] of dependencyTree('protocols')) {
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    // A lockfile written with omit-lockfile-registry-resolved has no URL: the registry's tarball URL is implied.
    const resolved = entry.resolved ?? `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${entry.version}.tgz`;
    packages[path] = { ...entry, resolved };
  }
  writeFileSync(
    join(user, 'package.json'),
    JSON.stringify({ name: 'codec-user', version: '1.0.0', private: true, type: 'module', dependencies: { [codecs.name]: spec } }),
  );
  writeFileSync(
    join(user, 'package-lock.json'),
    JSON.stringify({ name: 'codec-user', version: '1.0.0', lockfileVersion: 3, requires: true, packages }),
  );
  try {
    npm(['ci', '--offline', '--ignore-scripts'], user);
  } catch (err) {
    t.fail(`${(err as Error).message}\n(the tarballs come from npm's cache: run npm ci at the repository root first)`);
    return;
  }

  // 3. Few packages, none of the gateway's own runtime dependencies.
  const got = installed(join(user, 'node_modules'));
  t.ok(got.includes(codecs.name), `${codecs.name} installed`);
  t.ok(got.length <= 10, `installing the codecs brings ${got.length} packages (at most 10): ${got.join(', ')}`);
  const serverOnly = Object.keys(server.dependencies ?? {}).filter((d) => !(d in (codecs.dependencies ?? {})));
  for (const dep of ['ioredis', 'pino', 'prom-client', 'smpp', 'zod', 'busboy']) t.ok(serverOnly.includes(dep), `${dep} is the gateway's`);
  for (const dep of serverOnly) t.notOk(got.includes(dep), `${dep} (a gateway runtime dependency) not installed`);

  // 4. The PDU codec through its export, on a public vector; expected values from the independent tshark decode
  // beside it (mms_m_notify_ind_1.mms.tshark.txt).
  const vector = join(VECTORS, 'pdu', 'mmsd', 'mms_m_notify_ind_1.mms');
  const script = `
    import { readFileSync } from 'node:fs';
    const mms = await import('${codecs.name}/mms');
    const pdu = mms.decodePdu(readFileSync(${JSON.stringify(vector)}));
    const loaded = {};
    for (const name of ['wsp', 'address', 'mime', 'mm7', 'sms', 'push', 'pap', 'smpp'])
      loaded[name] = Object.keys(await import('${codecs.name}/' + name)).length;
    console.log(JSON.stringify({ type: pdu.messageType, tid: pdu.transactionId, subject: mms.textOf(pdu.subject),
      location: pdu.contentLocation, loaded }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: user, encoding: 'utf8', timeout: 30_000 });
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { type: string; tid: string; subject: string; location: string; loaded: Record<string, number> };
  t.strictSame(
    { type: out.type, tid: out.tid, subject: out.subject, location: out.location },
    { type: 'm-notification-ind', tid: 'OgQKKB', subject: 'Pin-Ups', location: 'http://eps3.de/O/Z9IZO' },
  );
  for (const [name, count] of Object.entries(out.loaded)) t.ok(count > 0, `${codecs.name}/${name} loads and has exports`);
});

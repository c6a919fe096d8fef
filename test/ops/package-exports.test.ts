// The codecs as a library: every protocols/* folder docs/architecture.md names is exported by package.json and loads
// through that export (as `import ... from 'mmsc-gateway/protocols/<name>'`, the package referring to itself),
// and a git or packed install builds dist (the prepare script). Needs `npm run build` (npm test does it).
// protocols/ is also a package of its own (mmsc-protocols, an npm workspace) exporting the same codecs and
// depending on what they import and nothing else; codec-install.test.ts packs and installs it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ROOT } from '../helpers/paths.js';

interface PackageJson {
  name: string;
  exports: Record<string, { types: string; default: string } | string>;
  scripts: Record<string, string>;
  files: string[];
  workspaces?: string[];
  dependencies?: Record<string, string>;
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
const codecs = JSON.parse(readFileSync(join(ROOT, 'protocols', 'package.json'), 'utf8')) as PackageJson;
const architecture = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
const codecPage = readFileSync(join(ROOT, 'docs', 'codec.md'), 'utf8');
/** protocols/ folders shared by the codecs, not a codec of their own: named in docs/architecture.md as internal, not exported. */
const INTERNAL = new Set(['xml']);
const folders = readdirSync(join(ROOT, 'protocols'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'dist' && d.name !== 'node_modules') // not build output, not the workspace's installs
  .map((d) => d.name)
  .sort();
const layout = architecture.slice(architecture.indexOf('\n## Layout\n'));

t.test('every protocols/* folder is named in the layout (docs/architecture.md), and exported unless internal', async (t) => {
  t.ok(folders.includes('smpp') && folders.includes('mms'));
  for (const name of folders) {
    t.ok(layout.includes(`${name}/`), `docs/architecture.md's layout names protocols/${name}/`);
    const entry = pkg.exports[`./protocols/${name}`];
    if (INTERNAL.has(name)) {
      t.equal(entry, undefined, `protocols/${name} is internal`);
      t.match(layout, new RegExp(`${name}/ \\([^)]*internal`), `docs/architecture.md says protocols/${name} is internal`);
    } else {
      t.strictSame(
        entry,
        { types: `./dist/protocols/${name}/index.d.ts`, default: `./dist/protocols/${name}/index.js` },
        `protocols/${name} exported`,
      );
    }
  }
  // Nothing exported that is not there.
  for (const key of Object.keys(pkg.exports))
    if (key.startsWith('./protocols/')) t.ok(folders.includes(key.slice('./protocols/'.length)), key);
});

t.test('each export loads by its package name', async (t) => {
  const smpp = (await import(`${pkg.name}/protocols/smpp`)) as Record<string, unknown>;
  t.type(smpp.readDeliverSm, 'function');
  t.type(smpp.parseReceipt, 'function');
  for (const name of folders.filter((n) => !INTERNAL.has(n))) {
    const mod = (await import(`${pkg.name}/protocols/${name}`)) as Record<string, unknown>;
    t.ok(Object.keys(mod).length > 0, `${pkg.name}/protocols/${name} has exports`);
  }
});

t.test('a git or packed install builds dist (prepare), and the package carries it', async (t) => {
  t.match(pkg.scripts.prepare, /\bnpm run build\b/);
  t.ok(pkg.files.includes('dist/src') && pkg.files.includes('dist/protocols') && pkg.files.includes('bin'));
});

t.test('protocols/ is a workspace package exporting the same codecs', async (t) => {
  t.strictSame(pkg.workspaces, ['protocols']);
  t.ok(codecPage.includes(`from '${codecs.name}/mms'`), 'docs/codec.md shows the codec package');
  const fromRoot = Object.keys(pkg.exports)
    .filter((k) => k.startsWith('./protocols/'))
    .map((k) => `./${k.slice('./protocols/'.length)}`);
  t.strictSame(
    Object.keys(codecs.exports)
      .filter((k) => k !== './package.json')
      .sort(),
    fromRoot.sort(),
    'the codec package exports what the gateway exports under protocols/',
  );
  for (const key of fromRoot)
    t.strictSame(
      codecs.exports[key],
      { types: `./dist/${key.slice(2)}/index.d.ts`, default: `./dist/${key.slice(2)}/index.js` },
      `${codecs.name}/${key.slice(2)}`,
    );
  t.match(codecs.scripts.prepare, /\bnpm run build\b/);
  t.ok(codecs.files.includes('dist'));
});

t.test("the codec package depends on what protocols/ imports, at the gateway's ranges, and on nothing else", async (t) => {
  const imported = new Set<string>();
  const walk = (dir: string): void => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      if (d.isDirectory() && d.name !== 'dist' && d.name !== 'node_modules') walk(join(dir, d.name));
      else if (d.isFile() && d.name.endsWith('.ts') && !d.name.endsWith('.d.ts'))
        for (const m of readFileSync(join(dir, d.name), 'utf8').matchAll(/^\s*(?:import|export)\b[^'";]*?from\s+'([^'.][^']*)'/gm)) {
          const spec = m[1]!;
          if (spec.startsWith('node:')) continue;
          imported.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
        }
    }
  };
  walk(join(ROOT, 'protocols'));
  t.ok(imported.has('fast-xml-parser'), 'the XML reader is seen');
  t.strictSame(Object.keys(codecs.dependencies ?? {}).sort(), [...imported].sort());
  for (const [name, range] of Object.entries(codecs.dependencies ?? {}))
    t.equal(range, pkg.dependencies?.[name], `${name}: the same range as the gateway's`);
});

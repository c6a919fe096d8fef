// The layer rules of .dependency-cruiser.mjs (npm run deps, in npm test) catch what they name: the checker runs
// with the project's own config on two small trees laid out like the project, one that keeps every rule and
// one with a violation of each, and must report exactly those. `npm run deps` checks the real tree.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t, { type Test } from 'tap';
import { ROOT } from '../helpers/paths.js';

const CONFIG = join(ROOT, '.dependency-cruiser.mjs');
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');

/** Imports every rule allows: edges, ops and the composition root use core's ports; the store implements them. */
const ALLOWED: Record<string, string> = {
  'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }),
  'protocols/mms/index.ts': 'export const PDU = 1;\n',
  'src/core/message.ts': "import { PDU } from '../../protocols/mms/index.js';\nexport const kind = PDU;\n",
  'src/core/ports.ts': "import type { kind } from './message.js';\nexport interface Queue { kind: typeof kind }\n",
  'src/store/memory.ts': "import type { Queue } from '../core/ports.js';\nexport const store = (q: Queue) => q;\n",
  'src/ops/metrics.ts':
    "import type { Queue } from '../core/ports.js';\nimport { post } from '../transport/http-post.js';\nexport const stats = (q: Queue) => [q, post];\n",
  'src/mm7/server.ts':
    "import type { Queue } from '../core/ports.js';\nimport { stats } from '../ops/metrics.js';\nexport const serve = (q: Queue) => stats(q);\n",
  'src/transport/http-post.ts': 'export const post = () => 1;\n',
  'src/cli.ts': "import { gateway } from './gateway.js';\nexport const cli = gateway;\n",
  'src/gateway.ts':
    "import { store } from './store/memory.js';\nimport { serve } from './mm7/server.js';\nexport const gateway = { store, serve };\n",
};

/** One violation a rule: the file, its source, the rule it breaks, the module it imports. */
const VIOLATIONS: { file: string; source: string; rule: string; to: string }[] = [
  {
    file: 'protocols/mms/server-hook.ts',
    source: "import { kind } from '../../src/core/message.js';\nexport const k = kind;\n",
    rule: 'protocols-not-to-src',
    to: 'src/core/message.ts',
  },
  {
    // A type-only import is a dependency too (tsPreCompilationDeps).
    file: 'src/core/backend.ts',
    source: "import type { store } from '../store/memory.js';\nexport type S = typeof store;\n",
    rule: 'core-not-to-store',
    to: 'src/store/memory.ts',
  },
  {
    file: 'src/core/counted.ts',
    source: "import { stats } from '../ops/metrics.js';\nexport const s = stats;\n",
    rule: 'core-not-to-ops',
    to: 'src/ops/metrics.ts',
  },
  {
    file: 'src/core/edge-aware.ts',
    source: "import { serve } from '../mm7/server.js';\nexport const s = serve;\n",
    rule: 'core-not-to-edges',
    to: 'src/mm7/server.ts',
  },
  {
    file: 'src/store/configured.ts',
    source: "import { stats } from '../ops/metrics.js';\nexport const s = stats;\n",
    rule: 'store-only-to-core',
    to: 'src/ops/metrics.ts',
  },
  {
    file: 'src/mm7/own-store.ts',
    source: "import { store } from '../store/memory.js';\nexport const s = store;\n",
    rule: 'store-only-from-composition-root',
    to: 'src/store/memory.ts',
  },
  {
    file: 'src/transport/http-listen.ts',
    source: "import { stats } from '../ops/metrics.js';\nexport const listen = stats;\n",
    rule: 'transport-only-to-itself',
    to: 'src/ops/metrics.ts',
  },
  {
    file: 'src/ops/admin.ts',
    source: "import { serve } from '../mm7/server.js';\nexport const admin = serve;\n",
    rule: 'ops-not-to-edges',
    to: 'src/mm7/server.ts',
  },
  {
    file: 'src/mm7/wiring.ts',
    source: "import { gateway } from '../gateway.js';\nexport const g = gateway;\n",
    rule: 'composition-root-not-imported',
    to: 'src/gateway.ts',
  },
  {
    file: 'src/mm7/a.ts',
    source: "import { b } from './b.js';\nexport const a = () => b;\n",
    rule: 'no-circular',
    to: 'src/mm7/b.ts',
  },
  {
    file: 'src/mm7/typo.ts',
    source: "import { x } from './no-such-file.js';\nexport const y = x;\n",
    rule: 'not-to-unresolvable',
    to: './no-such-file.js',
  },
];
/** The other half of the cycle a.ts starts (the checker reports a cycle once, at the first module it meets). */
const CYCLE_PARTNER = { 'src/mm7/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n" };

/** A fresh directory holding `files` (path -> source). */
function tree(t: Test, files: Record<string, string>): string {
  const dir = t.testdir();
  for (const [file, source] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), source);
  }
  return dir;
}

/** Runs the checker as `npm run deps` does; its violations as `rule: from -> to` (a cycle: to its next module). */
function cruise(dir: string): { status: number | null; violations: string[]; output: string } {
  const run = spawnSync(DEPCRUISE, ['src', 'protocols', '--config', CONFIG, '--output-type', 'err'], { cwd: dir, encoding: 'utf8' });
  if (run.error) throw run.error;
  const violations = [...run.stdout.matchAll(/^\s*error ([\w-]+): (\S+) \u2192\s+(\S+)/gm)].map(
    ([, rule, from, to]) => `${rule}: ${from} -> ${to}`,
  );
  return { status: run.status, violations, output: run.stdout + run.stderr };
}

t.test('a tree that keeps the rules passes', async (t) => {
  const { status, violations, output } = cruise(tree(t, ALLOWED));
  t.same(violations, [], 'no violation reported', { output });
  t.equal(status, 0, 'depcruise exits 0', { output });
  // A checker that parses nothing (no TypeScript to read .ts with) passes any tree: it must have read them all.
  const modules = Object.keys(ALLOWED).filter((f) => f.endsWith('.ts')).length;
  t.match(output, new RegExp(`\\(${modules} modules, `), `all ${modules} modules cruised`);
});

t.test('each rule reports its violation, and nothing else is reported', async (t) => {
  const files = { ...ALLOWED, ...CYCLE_PARTNER, ...Object.fromEntries(VIOLATIONS.map((v) => [v.file, v.source])) };
  const { status, violations, output } = cruise(tree(t, files));
  t.same(violations.sort(), VIOLATIONS.map((v) => `${v.rule}: ${v.file} -> ${v.to}`).sort(), 'one violation a rule, named');
  t.not(status, 0, 'depcruise fails, so npm test fails', { output });
});

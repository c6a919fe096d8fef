/**
 * The import rules of the layers (issue 21; the picture is in README "Layout"): run by `npm run deps`, part of
 * `npm test`. Type-only imports count (tsPreCompilationDeps): a port is a dependency even when erased.
 *
 *   protocols/   pure codecs: import nothing from src/
 *   src/core/    the model, intake, refusals, routing, workers and the ports the store implements: imports
 *                protocols/ and packages only
 *   src/store/   implements core's ports: imports core, nothing else of src/; only the composition root
 *                (src/gateway.ts) builds it
 *   src/transport/  HTTP listen/post, the outbound guard: imports nothing else of src/
 *   src/ops/     config, metrics, logs, the ops listener: imports core and transport, no edge
 *   src/gateway.ts  the composition root: imported by src/cli.ts only
 *   no cycles anywhere in src/ and protocols/
 */
/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'protocols-not-to-src',
      comment: 'The codecs are a library of their own (package exports protocols/*): they must not reach into the server.',
      severity: 'error',
      from: { path: '^protocols/' },
      to: { path: '^src/' },
    },
    {
      name: 'core-not-to-store',
      comment: 'Core defines the ports (src/core/ports.ts); the store implements them, core never sees a backend.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/store/' },
    },
    {
      name: 'core-not-to-ops',
      comment: 'Config, metrics and logging depend on core, not the reverse: core takes what it needs as options of its own.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/ops/' },
    },
    {
      name: 'core-not-to-edges',
      comment: 'Core knows no edge, transport or composition root: they plug into it (routes, intake), not it into them.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/(core|store|ops)/' },
    },
    {
      name: 'store-only-to-core',
      comment: 'A backend implements the ports in src/core; it needs nothing else of the server.',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^src/', pathNot: '^src/(core|store)/' },
    },
    {
      name: 'store-only-from-composition-root',
      comment:
        'Edges and ops program against the ports in src/core; only src/gateway.ts picks and builds a backend (core: core-not-to-store).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(store/|core/|gateway\\.ts$)' },
      to: { path: '^src/store/' },
    },
    {
      name: 'transport-only-to-itself',
      comment: 'HTTP listen/post and the outbound guard are plumbing every edge and ops share: they know none of them.',
      severity: 'error',
      from: { path: '^src/transport/' },
      to: { path: '^src/', pathNot: '^src/transport/' },
    },
    {
      name: 'ops-not-to-edges',
      comment: 'Config, metrics, logs and the ops listener serve every edge; they import core and transport, never an edge.',
      severity: 'error',
      from: { path: '^src/ops/' },
      to: { path: '^src/', pathNot: '^src/(ops|core|transport|store)/' },
    },
    {
      name: 'composition-root-not-imported',
      comment: 'src/gateway.ts wires everything; only the command line (src/cli.ts) starts it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli\\.ts$' },
      to: { path: '^src/(gateway|cli)\\.ts$' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles: each module can be understood (and loaded) after the ones it imports.',
      severity: 'error',
      from: { path: '^(src|protocols)/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import the checker cannot resolve is a rule it cannot check.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Build output (protocols/dist when protocols/ is built as a package of its own): not source.
    exclude: { path: '(^|/)dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
  },
};

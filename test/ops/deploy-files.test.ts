// The checks conformance/deploy/run.sh applies to deploy/ (conformance/deploy/checks.ts), on the shipped files
// and on a broken copy of each, so that a check which cannot fail is caught. The Kubernetes and compose
// renderings need kubectl and docker-compose: without them those parts are skipped (conformance installs
// them); the Dockerfile and the configurations need nothing.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { type Check, checkCompose, checkConfig, checkDockerfile, checkK8s, dockerStages } from '../../conformance/deploy/checks.js';
import { ROOT } from '../helpers/paths.js';

const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const failing = (checks: Check[]) => checks.filter((c) => !c.ok).map((c) => c.name);
const has = (cmd: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

t.test('Dockerfile: every check passes, and each breakage is seen', async (t) => {
  const file = read('deploy/Dockerfile');
  t.same(failing(checkDockerfile(file)), [], 'the shipped Dockerfile');
  const stages = dockerStages(file);
  t.equal(stages.length, 2, 'build and runtime stages');
  t.match(stages[0]?.from, /AS build$/);
  t.same(failing(checkDockerfile(file.replace('USER node:node', 'USER root'))), ['Dockerfile: the runtime runs as a non-root user']);
  t.same(failing(checkDockerfile(file.replace(/^USER .*$/m, ''))), ['Dockerfile: the runtime runs as a non-root user'], 'no USER');
  t.same(failing(checkDockerfile(file.replace(/^HEALTHCHECK[^\n]*\\\n[^\n]*$/m, ''))), ['Dockerfile: a HEALTHCHECK asks /healthz']);
  t.same(
    failing(checkDockerfile(file.replace('npm ci --omit=dev', 'npm ci'))),
    ['Dockerfile: the runtime installs production dependencies only'],
    'dev dependencies in the runtime',
  );
  t.same(failing(checkDockerfile(file.replace('CMD ["serve"]', 'RUN npm run build\nCMD ["serve"]'))), [
    'Dockerfile: the runtime compiles nothing (no build, no tsc)',
  ]);
  const single = file.slice(file.lastIndexOf('FROM '));
  t.ok(failing(checkDockerfile(single)).includes('Dockerfile: multi-stage (a build stage, then the runtime)'), 'one stage');
});

t.test('npm run serve and the image run the compiled gateway: nothing compiles at start', async (t) => {
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
  t.equal(pkg.scripts.serve, 'node bin/mmsc serve');
  t.match(read('bin/mmsc'), /import\('\.\.\/dist\/src\/cli\.js'\)/, 'bin/mmsc loads dist/');
  t.notMatch(read('bin/mmsc'), /tsc|build\(|spawn|exec/, 'and builds nothing');
});

t.test('the gateway configurations shipped in deploy/ pass the schema; a bad value does not', async (t) => {
  for (const f of ['deploy/compose/mmsc.yaml', 'deploy/k8s/mmsc.yaml']) t.same(failing(checkConfig(read(f), f)), [], f);
  const bad = checkConfig(read('deploy/k8s/mmsc.yaml').replace('port: 8007', 'port: 80070'), 'k8s');
  t.equal(bad[0]?.ok, false);
  t.match(bad[0]?.detail, /mm7\.port/, 'names the key');
});

t.test('kubectl kustomize deploy/k8s: kinds, probes, non-root', { skip: !has('kubectl') && 'kubectl not installed' }, async (t) => {
  const rendered = execFileSync('kubectl', ['kustomize', join(ROOT, 'deploy/k8s')], { encoding: 'utf8' });
  t.same(failing(checkK8s(rendered)), [], 'the rendered base');
  t.same(failing(checkK8s(rendered.replace('runAsNonRoot: true', 'runAsNonRoot: false'))), [
    'k8s: non-root (runAsNonRoot), read-only root filesystem, no privilege escalation, capabilities dropped',
  ]);
  t.same(failing(checkK8s(rendered.replace('path: /readyz', 'path: /healthz'))), [
    'k8s: every container has liveness /healthz and readiness /readyz probes',
  ]);
  t.ok(failing(checkK8s(rendered.replace('kind: PodDisruptionBudget', 'kind: Other'))).includes('k8s: a PodDisruptionBudget'));
});

t.test(
  'docker-compose config deploy/compose.yaml: services, Redis AOF',
  { skip: !has('docker-compose') && 'docker-compose not installed' },
  async (t) => {
    const rendered = execFileSync('docker-compose', ['-f', join(ROOT, 'deploy/compose.yaml'), 'config'], { encoding: 'utf8' });
    t.same(failing(checkCompose(rendered)), [], 'the rendered file');
    t.same(failing(checkCompose(rendered.replace('- "yes"', '- "no"').replace("- 'yes'", "- 'no'"))), [
      'compose: Redis keeps an append-only file (appendonly yes)',
    ]);
  },
);

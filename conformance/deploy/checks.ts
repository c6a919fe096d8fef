/**
 * Offline checks of deploy/ (no image is built and nothing is pulled here: no registry but npm and Debian's
 * is reachable): what an operator relies on in the Dockerfile, the rendered Kubernetes manifests
 * (`kubectl kustomize deploy/k8s`), the rendered compose file (`docker-compose config`), and the gateway
 * configurations shipped beside them, which must pass the gateway's own schema. Each check is one
 * { name, ok, detail }; run.sh prints them as `ok`/`FAIL` lines, test/ops/deploy-files.test.ts asserts them
 * and that each can fail.
 *
 *   node dist/conformance/deploy/checks.js dockerfile deploy/Dockerfile
 *   kubectl kustomize deploy/k8s | node dist/conformance/deploy/checks.js k8s
 *   docker-compose -f deploy/compose.yaml config | node dist/conformance/deploy/checks.js compose
 *   node dist/conformance/deploy/checks.js config deploy/k8s/mmsc.yaml
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { ConfigSchema } from '../../src/ops/config.js';

export interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

const check = (name: string, ok: boolean, detail?: string): Check => (detail === undefined ? { name, ok } : { name, ok, detail });

/** A Dockerfile's instructions (continuation lines joined, comments dropped), split into stages at FROM. */
export function dockerStages(text: string): { from: string; lines: { op: string; args: string }[] }[] {
  const logical = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const stages: { from: string; lines: { op: string; args: string }[] }[] = [];
  for (const l of logical) {
    const m = /^(\S+)\s*(.*)$/.exec(l);
    if (!m) continue;
    const op = (m[1] as string).toUpperCase();
    const args = m[2] as string;
    if (op === 'FROM') stages.push({ from: args, lines: [] });
    else stages.at(-1)?.lines.push({ op, args });
  }
  return stages;
}

export function checkDockerfile(text: string): Check[] {
  const stages = dockerStages(text);
  const final = stages.at(-1);
  const ops = (op: string) => final?.lines.filter((l) => l.op === op) ?? [];
  const runs = ops('RUN').map((l) => l.args);
  const user = ops('USER').at(-1)?.args.split(':')[0];
  const buildStage = stages.slice(0, -1).some((s) => s.lines.some((l) => l.op === 'RUN' && /npm (run build|ci)/.test(l.args)));
  return [
    check('Dockerfile: multi-stage (a build stage, then the runtime)', stages.length >= 2 && buildStage, `${stages.length} stage(s)`),
    check(
      'Dockerfile: the runtime installs production dependencies only',
      runs.some((r) => /npm ci\b.*--omit=dev/.test(r)) && !runs.some((r) => /npm (ci|install)\b(?!.*--omit=dev)/.test(r)),
      runs.join(' | '),
    ),
    check(
      'Dockerfile: the runtime compiles nothing (no build, no tsc)',
      !runs.some((r) => /npm run build|\btsc\b/.test(r)) &&
        !/\bbuild\b|\btsc\b/.test(
          ops('CMD')
            .map((l) => l.args)
            .join(' '),
        ),
    ),
    check(
      'Dockerfile: the runtime runs as a non-root user',
      user !== undefined && user !== 'root' && user !== '0',
      `USER ${user ?? 'unset'}`,
    ),
    check(
      'Dockerfile: a HEALTHCHECK asks /healthz',
      ops('HEALTHCHECK').some((l) => /\/healthz/.test(l.args)),
    ),
    check(
      'Dockerfile: ENTRYPOINT is the compiled CLI',
      ops('ENTRYPOINT').some((l) => /"node",\s*"bin\/mmsc"/.test(l.args)),
    ),
    check(
      'Dockerfile: EXPOSE names the ops port 9464',
      ops('EXPOSE').some((l) => /\b9464\b/.test(l.args)),
    ),
    check(
      'Dockerfile: the config file comes from MMSC_CONFIG',
      ops('ENV').some((l) => /MMSC_CONFIG/.test(l.args)),
    ),
  ];
}

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML, walked with optional chaining
type Doc = Record<string, any>;

export function checkK8s(rendered: string): Check[] {
  const docs = parseAllDocuments(rendered)
    .map((d) => d.toJS() as Doc)
    .filter((d) => d !== null);
  const kinds = new Set(docs.map((d) => d.kind as string));
  const deployment = docs.find((d) => d.kind === 'Deployment');
  const pod = deployment?.spec?.template?.spec ?? {};
  const containers: Doc[] = pod.containers ?? [];
  const probe = (c: Doc, kind: string, path: string) => c[kind]?.httpGet?.path === path;
  const configMap = docs.find((d) => d.kind === 'ConfigMap');
  const checks = ['Deployment', 'Service', 'ConfigMap', 'Secret', 'PodDisruptionBudget'].map((k) =>
    check(`k8s: a ${k}`, kinds.has(k), [...kinds].join(', ')),
  );
  checks.push(
    check('k8s: the Deployment runs 3 replicas', deployment?.spec?.replicas === 3, String(deployment?.spec?.replicas)),
    check(
      'k8s: every container has liveness /healthz and readiness /readyz probes',
      containers.length > 0 && containers.every((c) => probe(c, 'livenessProbe', '/healthz') && probe(c, 'readinessProbe', '/readyz')),
    ),
    check(
      'k8s: non-root (runAsNonRoot), read-only root filesystem, no privilege escalation, capabilities dropped',
      pod.securityContext?.runAsNonRoot === true &&
        containers.every(
          (c) =>
            c.securityContext?.readOnlyRootFilesystem === true &&
            c.securityContext?.allowPrivilegeEscalation === false &&
            (c.securityContext?.capabilities?.drop ?? []).includes('ALL'),
        ),
    ),
    check(
      'k8s: resources requested',
      containers.every((c) => c.resources?.requests?.cpu !== undefined && c.resources?.requests?.memory !== undefined),
    ),
    check(
      'k8s: the PodDisruptionBudget selects the Deployment pods',
      docs.some(
        (d) =>
          d.kind === 'PodDisruptionBudget' &&
          JSON.stringify(d.spec?.selector?.matchLabels) === JSON.stringify(deployment?.spec?.selector?.matchLabels),
      ),
    ),
    check(
      'k8s: the ConfigMap holds mmsc.yaml, mounted where MMSC_CONFIG points',
      typeof configMap?.data?.['mmsc.yaml'] === 'string' &&
        containers.some((c) => (c.env ?? []).some((e: Doc) => e.name === 'MMSC_CONFIG' && e.value === '/etc/mmsc/mmsc.yaml')),
    ),
  );
  if (typeof configMap?.data?.['mmsc.yaml'] === 'string')
    checks.push(...checkConfig(configMap.data['mmsc.yaml'], 'k8s ConfigMap mmsc.yaml'));
  return checks;
}

export function checkCompose(rendered: string): Check[] {
  const doc = parseYaml(rendered) as Doc;
  const services: Doc = doc?.services ?? {};
  const redisCommand = [services.redis?.command ?? []].flat().join(' ');
  const gateways = ['mmsc-1', 'mmsc-2'];
  return [
    ...[...gateways, 'redis', 'prometheus', 'grafana', 'smsc-sim'].map((s) => check(`compose: service ${s}`, s in services)),
    check('compose: Redis keeps an append-only file (appendonly yes)', /--appendonly yes\b/.test(redisCommand), redisCommand),
    check('compose: AOF fsync named (appendfsync everysec or always)', /--appendfsync (everysec|always)\b/.test(redisCommand)),
    check('compose: Redis never evicts queued messages (noeviction)', /--maxmemory-policy noeviction\b/.test(redisCommand)),
    check(
      'compose: both gateways on the same Redis, config and key prefix',
      gateways.every((g) => JSON.stringify(services[g]?.volumes) === JSON.stringify(services['mmsc-1']?.volumes)),
    ),
    check(
      'compose: Prometheus gets the alert rules',
      (services.prometheus?.volumes ?? []).some((v: string | Doc) =>
        /\/etc\/prometheus\/rules/.test(typeof v === 'string' ? v : String(v.target)),
      ),
    ),
    check(
      'compose: Grafana gets its provisioning',
      (services.grafana?.volumes ?? []).some((v: string | Doc) =>
        /\/etc\/grafana\/provisioning/.test(typeof v === 'string' ? v : String(v.target)),
      ),
    ),
    check('compose: the SMSC simulator is `mmsc smsc-sim`', [services['smsc-sim']?.command ?? []].flat()[0] === 'smsc-sim'),
  ];
}

/** A shipped gateway configuration must pass the gateway's own schema (what `mmsc serve` would say at start). */
export function checkConfig(text: string, name: string): Check[] {
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (e) {
    return [check(`${name}: YAML`, false, (e as Error).message)];
  }
  const r = ConfigSchema.safeParse(parsed ?? {});
  return [
    check(
      `${name}: a valid gateway configuration`,
      r.success,
      r.success ? undefined : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    ),
  ];
}

async function main(argv: string[]): Promise<number> {
  const [what, file] = argv;
  const input = file !== undefined ? readFileSync(file, 'utf8') : readFileSync(0, 'utf8');
  const checks =
    what === 'dockerfile'
      ? checkDockerfile(input)
      : what === 'k8s'
        ? checkK8s(input)
        : what === 'compose'
          ? checkCompose(input)
          : what === 'config'
            ? checkConfig(input, file ?? 'stdin')
            : undefined;
  if (!checks) {
    process.stderr.write('usage: checks.js dockerfile|k8s|compose|config [FILE]\n');
    return 1;
  }
  for (const c of checks) process.stdout.write(`${c.ok ? 'ok' : 'FAIL'} ${c.name}${!c.ok && c.detail ? ` (${c.detail})` : ''}\n`);
  return checks.every((c) => c.ok) ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));

import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HTTP_STATUS } from '../../transport/http-status.js';
import type { AdminRoute } from './types.js';

/** What GET /admin/version answers: which build runs, where, since when. */
export interface BuildInfo {
  name: string;
  version: string;
  /** The git commit built: MMSC_GIT_COMMIT, or `commit` of build-info.json beside package.json (written at build). */
  commit?: string;
  builtAt?: string;
  node: string;
}

/** The package root: the first directory above this file holding a package.json (src/ or dist/src/ alike). */
function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Read once at start: no git call at run time (an image holds no repository). */
export function buildInfo(env: NodeJS.ProcessEnv = process.env): BuildInfo {
  const root = packageRoot();
  const pkg = root ? readJson(join(root, 'package.json')) : undefined;
  const build = root ? readJson(join(root, 'build-info.json')) : undefined;
  const commit = env.MMSC_GIT_COMMIT || (typeof build?.commit === 'string' ? build.commit : undefined);
  return {
    name: String(pkg?.name ?? 'mmsc'),
    version: String(pkg?.version ?? 'unknown'),
    ...(commit ? { commit } : {}),
    ...(typeof build?.builtAt === 'string' ? { builtAt: build.builtAt } : {}),
    node: process.version,
  };
}

/** This instance's name: MMSC_INSTANCE_ID (e.g. the pod name), else host name and process id. */
export function instanceId(env: NodeJS.ProcessEnv = process.env): string {
  return env.MMSC_INSTANCE_ID || `${hostname()}:${process.pid}`;
}

/** GET /admin/version: build and instance. */
export function versionRoutes(startedAt: number, instance: string = instanceId(), info: BuildInfo = buildInfo()): AdminRoute[] {
  return [
    {
      method: 'GET',
      pattern: '/admin/version',
      role: 'read',
      action: 'version',
      async handle() {
        return {
          status: HTTP_STATUS.OK,
          body: {
            ...info,
            instance,
            startedAt: new Date(startedAt).toISOString(),
            uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
          },
        };
      },
    },
  ];
}

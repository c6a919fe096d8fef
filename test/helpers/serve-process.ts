// One `mmsc serve` process (the built CLI, bin/mmsc) on a config object written to a file of its own, as an
// operator runs an instance: started, then stopped by SIGKILL (a crash: no shutdown of any kind) or SIGTERM.
// For the multi-instance tests (several processes on one Redis key prefix).
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpRequest } from './handset.js';
import { MMSC_BIN, ROOT } from './paths.js';
import { until } from './until.js';

/** A cold start (modules, Redis, listeners) on two cores shared with other test runs. */
const STARTUP_MS = 90_000;

export class ServeProcess {
  /** The listeners the process printed ("mm7   listening on http://..."), by interface. */
  readonly listeners = new Map<string, string>();
  /** stderr (warnings and errors: MMSC_LOG_LEVEL is warn), for a failing test's diagnostics. */
  log = '';
  private stdout = '';
  private readonly exited: Promise<unknown>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly dir: string,
  ) {
    this.exited = once(child, 'exit');
    child.stdout.on('data', (b: Buffer) => {
      this.stdout += b.toString();
      for (const m of this.stdout.matchAll(/^(\w+)\s+listening on (\S+)(?: \(.*\))?$/gm)) this.listeners.set(m[1]!, m[2]!);
    });
    child.stderr.on('data', (b: Buffer) => (this.log += b.toString()));
  }

  /**
   * Spawns `mmsc serve` on `config` (only it: no MMSC_* variable of the test's environment) and resolves once
   * the listeners in `wait` are up and /readyz answers 200 (the store answers), so that a request sent next
   * is not refused for a store still connecting.
   */
  static async start(name: string, config: object, wait: readonly string[] = ['mm7']): Promise<ServeProcess> {
    const dir = mkdtempSync(join(tmpdir(), `mmsc-${name}-`));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(config, null, 2));
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MMSC_')) env[k] = v;
    delete env.REDIS_URL; // the config's redis.url, not the test runner's
    const child = spawn(process.execPath, [MMSC_BIN, 'serve'], { cwd: ROOT, env: { ...env, MMSC_CONFIG: file, MMSC_LOG_LEVEL: 'warn' } });
    const p = new ServeProcess(name, child, dir);
    const alive = <T>(v: T) => (child.exitCode === null && child.signalCode === null ? v : Promise.reject(new Error('exited')));
    try {
      for (const iface of ['ops', ...wait]) await until(`${name}'s ${iface} listener`, () => alive(p.listeners.get(iface)), STARTUP_MS);
      await until(`${name} ready`, async () => alive((await httpRequest(`${p.url('ops')}/readyz`)).status === 200), STARTUP_MS);
    } catch (e) {
      await p.kill();
      throw new Error(`${name}: ${(e as Error).message}; stdout: ${p.stdout.slice(-1000)}; stderr: ${p.log.slice(-2000)}`);
    }
    return p;
  }

  /** The base URL of a listener (throws when it has none). */
  url(iface: string): string {
    const u = this.listeners.get(iface);
    if (!u) throw new Error(`${this.name} has no ${iface} listener`);
    return u;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGKILL (a crash) or SIGTERM (a clean stop), and wait until the process is gone; nothing once it is. */
  async kill(signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT } from './paths.js';

/** Node flags that let a child run TypeScript the way tap runs the tests (tap's TypeScript import hook). */
const TS_IMPORT = process.execArgv.filter((a) => a.includes('@tapjs/typescript'));

/** Start test/procs/deliver-worker.ts as a separate process and resolve once it polls the queue. */
export async function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...TS_IMPORT, 'test/procs/deliver-worker.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not ready after 30 s: ${stderr}`)), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      if (c.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`worker exited before ready (${signal ?? code}): ${stderr}`));
    });
  });
  return child;
}

export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export { prng } from './prng.js';

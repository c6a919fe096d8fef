/**
 * The host's speed of the day, as the issue measures it: `redis-benchmark -t set -P 1` (50 clients, no
 * pipelining) against the Redis a bench uses, just before its run. The machine's speed swings by 2x from day
 * to day; figures are compared through their ratio to this one.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** SET/s of `redis-benchmark -t set -P 1 -n <requests> -q` against `url`; throws when it cannot run or its output is not understood. */
export async function redisSetRate(url: string, requests = 100_000): Promise<number> {
  const u = new URL(url);
  const argv = ['-h', u.hostname || '127.0.0.1', '-p', u.port || '6379', '-t', 'set', '-P', '1', '-n', String(requests), '-q'];
  if (u.password) argv.push('-a', decodeURIComponent(u.password), '--no-auth-warning');
  if (u.username) argv.push('--user', decodeURIComponent(u.username));
  const { stdout } = await run('redis-benchmark', argv, { timeout: 120_000 });
  // "SET: 86206.90 requests per second, p50=0.295 msec" (the progress lines end in \r and come first).
  const m = /SET: ([\d.]+) requests per second/.exec(stdout);
  if (!m) throw new Error(`redis-benchmark: no SET rate in its output: ${stdout.slice(-300)}`);
  return Number(m[1]);
}

// `mmsc demo` as a newcomer runs it: the built command in a process of its own; the curl command it prints is
// run with the real curl CLI (through sh, as pasted into a terminal), and the printed events must go down to
// the delivery report at the demo's callback, with the message delivered.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import { promisify } from 'node:util';
import t from 'tap';
import { MMSC_BIN, ROOT } from '../helpers/paths.js';
import { until } from '../helpers/until.js';

const run = promisify(execFile);

t.test('mmsc demo: the printed curl sends an MMS with a picture that ends delivered, with a delivery report at the callback', async (t) => {
  const child = spawn(process.execPath, [MMSC_BIN, 'demo', '--port-base', '0'], { cwd: ROOT, env: { ...process.env, REDIS_URL: '' } });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = once(child, 'exit');
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const curl = await until('the curl command', () => /^ {2}(curl .+)$/m.exec(out)?.[1], 20_000).catch((e: Error) => {
    throw new Error(`${e.message}; stdout: ${out}; stderr: ${err}`);
  });
  t.match(curl, /-u demo:demo-password /, 'with the demo account');
  t.match(curl, /callbackUrl=http:\/\/127\.0\.0\.1:\d+\/callback /, 'and the demo callback on loopback');
  const picture = /picture=@([^;']+);type=image\/png/.exec(curl)?.[1];
  t.ok(picture, 'and a picture file');
  const size = statSync(picture!).size;
  t.ok(size > 1000, `the picture is a real file (${size} bytes)`);
  t.match(out, /^ {2}MM7 and REST API {2}http:\/\/127\.0\.0\.1:\d+ /m, 'the banner names the REST API on loopback');

  const { stdout } = await run('sh', ['-c', curl]);
  const answer = JSON.parse(stdout) as { messageId: string; recipients: number };
  t.equal(answer.recipients, 1, 'curl: accepted for one recipient');
  const id = answer.messageId;
  const esc = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  const report = await until(
    'the delivery report event',
    () => new RegExp(`^\\S+\\s+delivery report\\s+${esc} for \\+15550000001: (\\w+)`, 'm').exec(out)?.[1],
    20_000,
  ).catch((e: Error) => {
    throw new Error(`${e.message}; stdout: ${out}; stderr: ${err}`);
  });
  t.equal(report, 'delivered', 'the callback got a delivery report: delivered');
  // The line of an event about this message (the push names its Content-Location, not the message id).
  const at = (what: string) =>
    out.split('\n').findIndex((l) => new RegExp(`^\\S+\\s+${what}\\s+`).test(l) && (what === 'pushed' || l.includes(id)));
  t.ok(at('accepted') >= 0, 'accepted printed');
  t.match(out, /pushed\s+m-notification-ind to \+15550000001: \d+ bytes at http:\/\/127\.0\.0\.1:\d+\//, 'the push, decoded');
  t.match(
    out,
    // The form sent no SMIL: the handset gets one generated for the text and the picture (issue 25).
    new RegExp(
      `fetched\\s+${esc} by \\+15550000001: application/smil \\(\\d+ bytes\\), text/plain \\(27 bytes\\), image/png \\(${size} bytes\\)`,
    ),
    'the fetch, with the picture whole',
  );
  // The handset's status check and the callback run concurrently: either may be printed first.
  t.ok(
    await until('the delivered event', () => new RegExp(`^\\S+\\s+delivered\\s+${esc} to \\+15550000001 `, 'm').test(out), 5000),
    'the message ended delivered (its REST status, printed)',
  );
  t.ok(
    at('accepted') < at('pushed') && at('pushed') < at('fetched') && at('fetched') < at('acknowledged'),
    'accepted, pushed, fetched, acknowledged, in order',
  );
  t.ok(at('acknowledged') < at('delivery report'), 'the delivery report after the acknowledgement');

  child.kill('SIGINT');
  const [code] = await exited;
  t.equal(code, 0, 'Ctrl-C stops it cleanly');
  t.notOk(err.includes('"level":50'), 'no error logged');
});

// The MM4 listener against hostile peers (issue 22, Acceptance / Hostile input): no open relay, no unknown
// source, oversize refused at SIZE and at DATA without holding it, malformed MIME answered 5xx and counted
// (and the listener still serves), a peer stalling or trickling mid-DATA cut, 10,000 RCPT capped.
// Header injection through the values we write is test/protocols/mm4-hostile.test.ts's.
import t, { type Test } from 'tap';
import { DOMAIN, forwardReq, LOCAL, PEER_FROM, startMm4, transaction } from '../helpers/mm4-listener.js';
import { RawSmtp } from '../helpers/smtp-raw.js';
import { until } from '../helpers/until.js';

async function session(t: Test, port: number, localAddress?: string): Promise<RawSmtp> {
  const { raw, greeting } = await RawSmtp.open(port, localAddress ? { localAddress } : {});
  t.teardown(() => raw.end());
  t.match(greeting, /^220 /, 'greeted');
  return raw;
}

t.test('open relay: every form of a recipient outside our domains is refused at RCPT, 550 5.7.1', async (t) => {
  const { port, queue } = await startMm4(t);
  const raw = await session(t, port);
  await raw.send('EHLO peer.example');
  t.match(await raw.send(`MAIL FROM:<${PEER_FROM}>`), /^250 /);
  for (const rcpt of [
    '+15550001111/TYPE=PLMN@mms.mnc009.mcc009.gprs',
    'victim@example.org',
    // RFC 5321 §4.1.1.3 / Appendix C: a source route names our domain first, the real one last.
    `@${DOMAIN}:victim@example.org`,
    // Our domain as a suffix or a sub-domain is not our domain.
    `+15550001111/TYPE=PLMN@evil-${DOMAIN}`,
    `+15550001111/TYPE=PLMN@sub.${DOMAIN}`,
    `+15550001111/TYPE=PLMN@${DOMAIN}.evil.example`,
    '"victim@example.org"@example.org',
    'postmaster',
  ]) {
    t.match(await raw.send(`RCPT TO:<${rcpt}>`), /^5\d\d /, rcpt);
  }
  t.match(await raw.send('DATA'), /^503 /, 'no recipient was taken');
  t.equal((await queue.stats()).waiting, 0);
});

t.test('an unknown source address (127.0.0.2) is refused at the greeting, counted; the listener still serves', async (t) => {
  const { port, metrics } = await startMm4(t);
  const { raw, greeting } = await RawSmtp.open(port, { localAddress: '127.0.0.2' });
  t.teardown(() => raw.end());
  t.match(greeting, /^554 5\.7\.1 /);
  await raw.closed;
  t.match(await metrics.registry.metrics(), /mmsc_mm4_sessions_total\{peer="unknown",result="refused",service="mmsc"\} 1/);
  const ok = await session(t, port);
  t.match(await transaction(ok, forwardReq()), /^250 /);
});

t.test('oversize: refused at MAIL FROM SIZE= and at DATA (160 MB sent against 4 KiB, not held), the session goes on', async (t) => {
  const { port, queue, metrics } = await startMm4(t);
  const raw = await session(t, port);
  await raw.send('EHLO peer.example');
  t.match(await raw.send(`MAIL FROM:<${PEER_FROM}> SIZE=4097`), /^552 5\.3\.4 /);
  t.match(await raw.send(`MAIL FROM:<${PEER_FROM}> SIZE=99999999999999999999`), /^552 5\.3\.4 /);
  t.match(await raw.send(`MAIL FROM:<${PEER_FROM}> SIZE=4096`), /^250 /, 'at the limit: taken');
  await raw.send('RSET');
  // No SIZE declared, far more than the limit: read and dropped as it comes, answered 552 5.3.4 at the end.
  const before = process.memoryUsage().rss;
  const line = `${'x'.repeat(998)}\r\n`;
  const body = line.repeat(1024); // 1 MB a write
  await raw.send(`MAIL FROM:<${PEER_FROM}>`);
  await raw.send(`RCPT TO:<${LOCAL}/TYPE=PLMN@${DOMAIN}>`);
  t.match(await raw.send('DATA'), /^354/);
  const answer = raw.reply();
  raw.write(`${forwardReq().replace(/\r\n$/, '')}\r\n`);
  const chunk = Buffer.from(body, 'latin1');
  for (let i = 0; i < 160; i++) {
    if (!raw.write(chunk)) await raw.drained();
  }
  raw.write('.\r\n');
  t.match(await answer, /^552 5\.3\.4 /);
  const grew = process.memoryUsage().rss - before;
  // Client and server share this process: what the server holds shows, the client's writes wait for drain.
  t.ok(
    grew < 96 * 1024 * 1024,
    `rss grew by ${(grew / 1048576).toFixed(1)} MB for 160 MB sent (bounded by the limit, not by what was sent)`,
  );
  t.equal((await queue.stats()).waiting, 0);
  t.match(
    await metrics.registry.metrics(),
    /mmsc_mm4_messages_total\{peer="carrier-b",type="unparsed",result="message-too-large",service="mmsc"\} 1/,
  );
  t.match(await transaction(raw, forwardReq(), { ehlo: false }), /^250 /, 'the next transaction is taken');
});

t.test('malformed MIME: each answered 5xx and counted, never a crash; the listener serves the next session', async (t) => {
  const { port, queue, metrics } = await startMm4(t);
  const head = forwardReq()
    .split('\r\n\r\n')[0]!
    .replace(/\r\nContent-Type: .*/, '');
  const cases: Record<string, string> = {
    'not MM4 at all': 'Subject: hello\r\n\r\nhi',
    'binary garbage': Buffer.from(Array.from({ length: 2000 }, (_, i) => (i * 37 + 11) % 256)).toString('latin1'),
    'a Content-Type that is not one': `${head}\r\nContent-Type: /;;\r\n\r\nhi`,
    'an MM4 message type that is not one': head.replace('MM4_forward.REQ', 'MM7_submit.REQ'),
    'multipart without its closing delimiter': `${head}\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi`,
    'multipart without a boundary': `${head}\r\nContent-Type: multipart/related\r\n\r\n--x\r\n\r\nhi\r\n--x--`,
    'base64 on a multipart': `${head}\r\nContent-Type: multipart/mixed; boundary=b\r\nContent-Transfer-Encoding: base64\r\n\r\n--b\r\n\r\nx\r\n--b--`,
    'a header line that is not one': `${head}\r\nthis is not a header\r\n\r\nhi`,
    'From that is not an address': head.replace(/From: .*/, 'From: <<<>>>'),
  };
  let refused = 0;
  for (const [name, data] of Object.entries(cases)) {
    const raw = await session(t, port);
    t.match(await transaction(raw, data), /^5\d\d 5\.\d\.\d /, name);
    refused++;
    raw.end();
  }
  const text = await metrics.registry.metrics();
  const counted = [
    ...text.matchAll(/mmsc_mm4_messages_total\{peer="carrier-b",type="[^"]*",result="(?!accepted)[^"]*",service="mmsc"\} (\d+)/g),
  ];
  t.equal(
    counted.reduce((n, m) => n + Number(m[1]), 0),
    refused,
    'every refusal is in mmsc_mm4_messages_total',
  );
  t.equal((await queue.stats()).waiting, 0);
  t.match(await transaction(await session(t, port), forwardReq()), /^250 /, 'still serving');
});

t.test('a peer trickling DATA (a byte every 50 ms, never idle) is cut after mm4.dataTimeoutMs', async (t) => {
  const { port, queue } = await startMm4(t, { dataTimeoutMs: 600, idleTimeoutMs: 60_000 });
  const raw = await session(t, port);
  await raw.send('EHLO peer.example');
  await raw.send(`MAIL FROM:<${PEER_FROM}>`);
  await raw.send(`RCPT TO:<${LOCAL}/TYPE=PLMN@${DOMAIN}>`);
  t.match(await raw.send('DATA'), /^354/);
  const bytes = forwardReq();
  let i = 0;
  const timer = setInterval(() => raw.write(bytes[i++ % bytes.length]!), 50);
  t.teardown(() => clearInterval(timer));
  const started = Date.now();
  await raw.closed;
  clearInterval(timer);
  const ms = Date.now() - started;
  t.ok(ms < 10_000, `cut after ${ms} ms (the idle timeout is 60 s)`);
  t.equal((await queue.stats()).waiting, 0);
  t.match(await transaction(await session(t, port), forwardReq()), /^250 /, 'still serving');
});

t.test('10,000 RCPT TO pipelined: 452 4.5.3 after mm4.maxRecipients, the session stays usable, the message has 100', async (t) => {
  const { port, queue } = await startMm4(t, { maxRecipients: 100 });
  const raw = await session(t, port);
  t.match(await raw.send('EHLO peer.example'), /PIPELINING/);
  await raw.send(`MAIL FROM:<${PEER_FROM}>`);
  const n = 10_000;
  const lines = Array.from({ length: n }, (_, i) => `RCPT TO:<+1555${String(i).padStart(7, '0')}/TYPE=PLMN@${DOMAIN}>\r\n`);
  const replies = raw.replies(n);
  raw.write(lines.join(''));
  const got = await replies;
  t.equal(got.filter((r) => r.startsWith('250 ')).length, 100, '100 taken');
  t.equal(got.filter((r) => /^452 4\.5\.3 /.test(r)).length, n - 100, 'the rest 452 4.5.3 (RFC 5321 §4.5.3.1.10)');
  t.match(await raw.send('DATA'), /^354/);
  const r = raw.reply();
  raw.write(`${forwardReq()}\r\n.\r\n`);
  const id = /queued as (\S+)/.exec(await r)?.[1];
  t.ok(id, 'the transaction goes on with the recipients taken');
  t.equal((await queue.message(id!))?.recipients.length, 100);
  t.match(await raw.send('NOOP'), /^250 /);
});

t.test(
  "the listener's DATA budget (mm4.maxInFlightDataBytes): a transaction over it answered 421 4.3.2, the one holding it goes on",
  async (t) => {
    const { port, queue, metrics } = await startMm4(t, { maxInFlightDataBytes: 1024, maxMessageBytes: 4096 });
    const heldBytes = async () => Number(/mmsc_mm4_in_flight_data_bytes\{[^}]*\} (\d+)/.exec(await metrics.registry.metrics())?.[1]);
    const a = await session(t, port);
    await a.send('EHLO peer.example');
    await a.send(`MAIL FROM:<${PEER_FROM}>`);
    await a.send(`RCPT TO:<${LOCAL}/TYPE=PLMN@${DOMAIN}>`);
    t.match(await a.send('DATA'), /^354/);
    const big = `${forwardReq({ body: `${'y'.repeat(58)}\r\n`.repeat(25) })}\r\n.\r\n`;
    a.write(big.slice(0, 900));
    await until('A holds its first bytes', async () => (await heldBytes()) >= 700);

    const b = await session(t, port);
    t.match(await transaction(b, forwardReq({ messageId: 'msg-b@mms.mnc002.mcc001.gprs' })), /^421 4\.3\.2 /, 'B: busy, retry later');
    await b.closed;
    const answer = a.reply();
    a.write(big.slice(900));
    t.match(await answer, /^250 /, 'A, alone over the budget, is taken whole');
    t.equal(await heldBytes(), 0, 'nothing held once answered');
    const retry = await session(t, port);
    t.match(await transaction(retry, forwardReq({ messageId: 'msg-b@mms.mnc002.mcc001.gprs' })), /^250 /, "B's retry is taken");
    t.equal((await queue.stats()).waiting, 2);
  },
);

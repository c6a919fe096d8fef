// The refusal catalogue (src/core/refusals.ts): every code fills every column with a value of the protocol's
// own table, transient or permanent as each protocol splits them; docs/refusals.md documents every code as the
// catalogue has it; and no edge chooses an MM7, MM1 or HTTP status of its own (a scan of src/).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import { isMm7StatusCode, statusText } from '../../protocols/mm7/index.js';
import { RESPONSE_STATUS, type ResponseStatus } from '../../protocols/mms/index.js';
import { REFUSALS, Refusal, type RefusalCode, type RefusalEntry } from '../../src/core/refusals.js';
import { responseStatus } from '../../src/mm1/statuses.js';
import { restErrorCode } from '../../src/rest/errors.js';
import { ESME_STATUS, statusName } from '../../src/smpp/errors.js';
import { ROOT } from '../helpers/paths.js';

const CODES = Object.keys(REFUSALS) as RefusalCode[];
const entries = (): [RefusalCode, RefusalEntry][] => Object.entries(REFUSALS) as [RefusalCode, RefusalEntry][];
const MM1_BYTE = new Map<string, number>(RESPONSE_STATUS.map(([byte, name]) => [name, byte]));

/** RFC 5321 §4.2.3: the reply codes a refusal can be (4yz transient, 5yz permanent). */
const SMTP_REPLIES = new Set([421, 450, 451, 452, 455, 500, 501, 502, 503, 504, 550, 551, 552, 553, 554, 555]);
/** RFC 5321 §4.5.3.1.10: too many recipients is 452 (send the rest in another transaction), whatever the request's fate. */
const SMTP_SPLIT = new Set<RefusalCode>(['too-many-recipients']);

t.test('the catalogue: kebab-case codes, each with a summary', async (t) => {
  t.ok(CODES.length >= 15, `${CODES.length} codes`);
  for (const [code, e] of entries()) {
    t.match(code, /^[a-z]+(?:-[a-z0-9]+)*$/, `${code}: kebab-case`);
    t.ok(e.summary.length > 5 && e.summary === e.summary.trim(), `${code}: a summary`);
  }
  // Named in the intake's contract (src/core/intake.ts): never renamed.
  t.ok('store-unavailable' in REFUSALS && 'throttled' in REFUSALS, 'store-unavailable and throttled');
});

t.test('MM7: a StatusCode of TS 23.140 §8.7.4; transient => 3xxx or 4006, 4006 => transient', async (t) => {
  for (const [code, e] of entries()) {
    t.ok(isMm7StatusCode(e.mm7) && e.mm7 >= 2000 && e.mm7 < 5000, `${code}: ${e.mm7} is a 2xxx-4xxx code of the table`);
    if (e.transient) t.ok(Math.floor(e.mm7 / 1000) === 3 || e.mm7 === 4006, `${code}: transient, so 3xxx or 4006 (${e.mm7})`);
    else t.not(e.mm7, 4006, `${code}: permanent, so not 4006 Service unavailable`);
  }
  t.equal(statusText(4006), 'Service unavailable', 'the spec name of 4006 (REST called it "Service denied", 4007)');
});

t.test('MM1: Response-Status names of OMA-TS-MMS_ENC §7.3.48; 1.1+ transient <=> 0xC_', async (t) => {
  for (const [code, e] of entries()) {
    const v10 = MM1_BYTE.get(e.mm1.v10);
    const v11 = MM1_BYTE.get(e.mm1.v11);
    t.ok(v10 !== undefined && v10 >= 0x81 && v10 <= 0x88, `${code}: v10 ${e.mm1.v10} is a 1.0 error code`);
    t.ok(v11 !== undefined && (v11 >= 0xc0 || v11 === 0x88), `${code}: v11 ${e.mm1.v11} is a 1.1+ error code`);
    t.equal(v11 !== undefined && (v11 & 0xe0) === 0xc0, e.transient, `${code}: v11 transient class <=> transient`);
    // 1.0 has no transient codes: network-problem is the one handsets retry.
    if (e.transient) t.equal(e.mm1.v10, 'Error-network-problem', `${code}: 1.0 answers the one it retries`);
  }
});

t.test('MM1: the handset is answered in the version it spoke, 1.0 when it is not known', async (t) => {
  const cases: [string | undefined, keyof RefusalEntry['mm1']][] = [
    [undefined, 'v10'],
    ['1.0', 'v10'],
    ['1.1', 'v11'],
    ['1.2', 'v11'],
    ['1.3', 'v11'],
    ['2.0', 'v11'],
    ['garbage', 'v10'],
  ];
  for (const [version, column] of cases) {
    for (const code of CODES) {
      const want: ResponseStatus = REFUSALS[code].mm1[column];
      t.equal(responseStatus(code, version), want, `${code} in ${version ?? 'an unknown version'}: ${column}`);
    }
  }
});

t.test('HTTP: 4xx/5xx; transient <=> 429 or 503; a code of the REST error document', async (t) => {
  for (const [code, e] of entries()) {
    t.ok(e.http >= 400 && e.http < 600, `${code}: ${e.http} is an error status`);
    t.equal(e.http === 429 || e.http === 503, e.transient, `${code}: 429/503 <=> transient`);
    t.doesNotThrow(() => restErrorCode(e.http), `${code}: the REST error body has a code for ${e.http}`);
  }
});

t.test('SMTP: an RFC 5321 reply and an RFC 3463 enhanced code of its class; 4yz <=> transient', async (t) => {
  for (const [code, e] of entries()) {
    const { reply, enhanced } = e.smtp;
    t.ok(SMTP_REPLIES.has(reply), `${code}: ${reply} is a refusal reply`);
    const m = /^([245])\.(\d{1,3})\.(\d{1,3})$/.exec(enhanced);
    t.ok(m, `${code}: ${enhanced} is class.subject.detail`);
    t.equal(m?.[1], String(reply)[0], `${code}: ${enhanced} is of the class of ${reply}`);
    t.ok(Number(m?.[2]) <= 7, `${code}: subject ${m?.[2]} is one of RFC 3463's X.0-X.7`);
    if (SMTP_SPLIT.has(code)) t.equal(reply, 452, `${code}: 452 by RFC 5321 §4.5.3.1.10`);
    else t.equal(reply < 500, e.transient, `${code}: 4yz <=> transient`);
  }
});

t.test('SMPP: where there is an ESME status, one of v3.4 §5.1.3, temporary <=> transient', async (t) => {
  const temporary = new Set<number>([ESME_STATUS.ESME_RX_T_APPN, ESME_STATUS.ESME_RTHROTTLED]);
  for (const [code, e] of entries()) {
    if (e.esme === undefined) continue;
    t.ok(statusName(e.esme), `${code}: 0x${e.esme.toString(16)} is a named command_status`);
    t.not(e.esme, ESME_STATUS.ESME_ROK, `${code}: not ESME_ROK`);
    t.equal(temporary.has(e.esme), e.transient, `${code}: a temporary status <=> transient`);
  }
  t.equal(REFUSALS['store-unavailable'].esme, ESME_STATUS.ESME_RX_T_APPN, 'the store: the SMSC delivers the MO again');
});

t.test('Refusal: carries its code, the summary unless a detail is given, and a wait', async (t) => {
  const plain = new Refusal('store-unavailable');
  t.equal(plain.code, 'store-unavailable');
  t.equal(plain.message, REFUSALS['store-unavailable'].summary);
  t.equal(plain.entry, REFUSALS['store-unavailable']);
  t.ok(plain instanceof Error);
  const detailed = new Refusal('throttled', 'retry in 250 ms', 250);
  t.equal(detailed.message, 'retry in 250 ms');
  t.equal(detailed.retryAfterMs, 250);
  t.equal(detailed.name, 'Refusal');
});

// -- docs/refusals.md ------------------------------------------------------------------------------------------

/** The row docs/refusals.md has for a code: | code | summary | transient | MM7 | MM1 1.0 | MM1 1.1+ | HTTP | SMTP | ESME |. */
function docRow(code: RefusalCode, e: RefusalEntry): string[] {
  return [
    `\`${code}\``,
    e.summary,
    e.transient ? 'yes' : 'no',
    `${e.mm7} ${statusText(e.mm7)}`,
    e.mm1.v10,
    e.mm1.v11,
    String(e.http),
    `${e.smtp.reply} ${e.smtp.enhanced}`,
    e.esme === undefined ? '-' : (statusName(e.esme) ?? `0x${e.esme.toString(16)}`),
  ];
}

/** The catalogue table of a document: code -> cells (rows whose first cell is a `code`). */
function docTable(text: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const cells = line
      .slice(1, line.trimEnd().endsWith('|') ? line.trimEnd().length - 1 : undefined)
      .split('|')
      .map((c) => c.trim());
    rows.set(cells[0]!.replace(/`/g, ''), cells);
  }
  return rows;
}

t.test('docs/refusals.md documents every code, and only those, as the catalogue has it', async (t) => {
  const rows = docTable(readFileSync(join(ROOT, 'docs', 'refusals.md'), 'utf8'));
  for (const [code, e] of entries()) {
    const row = rows.get(code);
    const want = docRow(code, e);
    if (!row) {
      t.fail(`${code} is not documented; its row: | ${want.join(' | ')} |`);
      continue;
    }
    t.same(row, want, `${code}: the row agrees with the catalogue (| ${want.join(' | ')} |)`);
  }
  const extra = [...rows.keys()].filter((code) => !(code in REFUSALS));
  t.same(extra, [], 'no documented code the catalogue does not have');
});

t.test('the documentation check fails on a missing, an extra or a disagreeing row', async (t) => {
  const good = CODES.map((c) => `| ${docRow(c, REFUSALS[c]).join(' | ')} |`);
  t.equal(docTable(good.join('\n')).size, CODES.length, 'all rows read');
  const missing = docTable(good.slice(1).join('\n'));
  t.notOk(missing.has(CODES[0]!), 'a missing row is missing');
  const wrong = docTable(good.map((l) => l.replace(/\| (\d{4}) /, '| 4007 ')).join('\n'));
  t.notSame(wrong.get(CODES[0]!), docRow(CODES[0]!, REFUSALS[CODES[0]!]), 'a different MM7 code disagrees');
});

// -- no status literal in src/ outside the catalogue and the protocol tables ---------------------------------------

/** The catalogue and the protocol tables: the only places a status number may be written. */
const TABLES = new Set(['src/core/refusals.ts', 'src/transport/http-status.ts', 'src/transport/smtp-status.ts']);
const MM7 = '(?:1000|1100|200\\d|300\\d|400\\d)';
const HTTP = '(?:200|201|202|204|30[1-8]|4[0-5]\\d|50\\d)';
/** What a status chosen in place looks like (in code: comments and string contents are not looked at, but labels are). */
const RULES: [string, RegExp][] = [
  ['a retired refusal class', /\b(?:Mm7Refusal|Mm1Refusal|FROM_MM7)\b/],
  ['an MM7 status number', new RegExp(`\\b(?:status|code)\\w*\\s*(?:[:=]|[!=]==?)\\s*${MM7}\\b`, 'i')],
  ['an MM7 status number in a call or choice', new RegExp(`(?:[(,?]|\\?\\?)\\s*${MM7}\\s*[,):]`)],
  ['an HTTP status in writeHead', /\bwriteHead\(\s*\d/],
  ['an HTTP status assigned', /\bstatusCode\s*=\s*\d/],
  ['an HTTP status number', new RegExp(`\\b(?:status|code|http)\\w*\\s*(?:[:=]|[!=]==?|[<>]=?)\\s*${HTTP}\\b`, 'i')],
  ['an HTTP status in a call or choice', new RegExp(`(?:[(?]|,)\\s*${HTTP}\\s*[,):]`)],
  ['an HTTP status type', new RegExp(`:\\s*${HTTP}\\s*\\|`)],
  ['a status number alone as an argument', new RegExp(`^\\s*(?:${MM7}|${HTTP})\\s*,?\\s*$`)],
  ['an HTTP status in a table', new RegExp(`^\\s*[A-Z][A-Z_]*:\\s*${HTTP}\\s*,`)],
  // 1000 and 1100 left out: milliseconds.
  ['a status number in a constant', new RegExp(`=\\s*(?:200\\d|300\\d|400\\d|${HTTP})\\s*;`)],
];
/** Checked on the line as written (a metrics label, an MM1 Response-Status chosen by hand). */
const RAW_RULES: [string, RegExp][] = [
  ['an HTTP status label', new RegExp(`\\b(?:status|code)\\s*:\\s*'${HTTP}'`)],
  ['an MM1 Response-Status chosen in place', /\bresponseStatus\s*:\s*'Error-/],
];

/** A line's code: no comment, string contents blanked, and the number arguments of slice/min/max/default gone. */
function codeOf(line: string): string {
  const s = line.trim();
  if (s.startsWith('*') || s.startsWith('/*') || s.startsWith('//')) return '';
  return line
    .replace(/\s\/\/ .*$/, '')
    .replace(/'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`/g, "''")
    .replace(/\.(?:slice|min|max|default)\([\d_,\s]*\)/g, '.x()');
}

function literalsIn(text: string): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, i) => {
    const code = codeOf(line);
    for (const [what, re] of RULES) if (re.test(code)) found.push(`${i + 1}: ${what}: ${line.trim()}`);
    for (const [what, re] of RAW_RULES) if (re.test(line)) found.push(`${i + 1}: ${what}: ${line.trim()}`);
  });
  return found;
}

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* sources(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

t.test('no MM7, MM1 or HTTP status literal in src/ outside the catalogue and the protocol tables', async (t) => {
  let files = 0;
  for (const file of sources(join(ROOT, 'src'))) {
    const rel = relative(ROOT, file).split('\\').join('/');
    if (TABLES.has(rel)) continue;
    files++;
    t.same(literalsIn(readFileSync(file, 'utf8')), [], `${rel}: answers from the catalogue or a named status`);
  }
  t.ok(files > 50, `${files} files scanned`);
});

t.test('the scan finds the literals the edges used to write', async (t) => {
  const before = [
    "return this.soap(res, msg, 'unparsed', 2004, true);",
    "      return { ok: false, status: 3001, text: 'the message could not be stored; retry later' };",
    "errorRsp(fallback, '', tooLarge ? 2004 : 2007, 'malformed MIME body'),",
    "  if (!vasp.senders.includes(sender)) throw new Mm7Refusal(2001, 'sender address not allowed');",
    "        if (msg.kind === 'ReplaceReq' && answer.code === 1000) streamer.accepted = true;",
    '        4003,',
    "    if (!path.startsWith('/m/')) return this.plain(res, 404, 'not found');",
    "      return this.conf(res, 403, '', 'service-denied', undefined, 'unknown subscriber', 'http', true);",
    '    res.writeHead(204).end();',
    "    this.o.metrics.mm1Requests.inc({ pdu: label, status: '204' });",
    '    if (status === 408 || status === 429 || status >= 500) return { status: 5 };',
    '    if (!m) return { ok: false, status: 401, reason: "HTTP Basic credentials required" };',
    '  private error(res: ServerResponse, code: 404 | 410): void {',
    '  TOO_LARGE: 413,',
    '    res.statusCode = 503;',
    "    const conf = { messageType: 'm-send-conf', responseStatus: 'Error-permanent-service-denied' };",
    'const SERVICE_UNAVAILABLE = 4006;',
    'let status = 503;',
  ];
  for (const line of before) t.equal(literalsIn(line).length > 0, true, `found: ${line.trim()}`);
  const fine = [
    '    const seconds = Math.max(1, Math.ceil(r.retryAfterMs / 1000));',
    "      .describe('more are refused 3003 / HTTP 400'),",
    '  window: z.coerce.number().int().min(1).max(1000).default(10),',
    '    if (info.detail !== undefined) req.statusText = info.detail.slice(0, 200);',
    '  // MM7 4006 Service unavailable, REST 503',
    '    return this.soap(res, errorRsp(ns, tid, refusal.entry.mm7, refusal.message), op, refusal.entry.mm7);',
  ];
  for (const line of fine) t.same(literalsIn(line), [], `not a status chosen in place: ${line.trim()}`);
});

// The commented example configuration (`mmsc config example`, committed as deploy/mmsc.example.yaml), generated
// from the schema like the reference table (config-reference.ts), so that it cannot drift from what the loader
// takes: every section and key with its description as a comment and its default as the value (a key without
// one commented out), and for each array of objects (mm7.vasps, smpp.smscs, mm4.peers) a commented entry with
// every field. Uncommenting an entry's lines gives a valid entry: required fields carry the example values
// below. Haraka's commented config/*.ini files are the model.
import { stringify } from 'yaml';
import { z } from 'zod';
import { ConfigSchema, envForm, envKeys } from './config.js';
import { base, entrySchema, humane, shapeOf } from './config-reference.js';

/**
 * Values shown for entry fields that have no default (required, or needed for the entry to be valid once
 * uncommented), by their reference path. A required field missing here makes the generator throw, so that a
 * new one gets an example.
 */
const EXAMPLES: Record<string, unknown> = {
  'ops.tokens[].name': 'oncall',
  'ops.tokens[].token': 'change-me-to-a-long-random-token',
  'mm7.vasps[].id': 'vasp-a',
  'mm7.vasps[].username': 'vasp-a',
  'mm7.vasps[].password': 'change-me',
  'mm7.vasps[].senders': ['12345'],
  'mm7.vasps[].clientCert.subject': 'vasp-a.example',
  'consent.senders[].sender': '12345',
  'consent.senders[].quietHours.start': '21:00',
  'consent.senders[].quietHours.end': '08:00',
  'ops.tls.certFile': '/etc/mmsc/tls/ops.crt',
  'ops.tls.keyFile': '/etc/mmsc/tls/ops.key',
  'mm7.tls.certFile': '/etc/mmsc/tls/mm7.crt',
  'mm7.tls.keyFile': '/etc/mmsc/tls/mm7.key',
  'mm1.tls.certFile': '/etc/mmsc/tls/mm1.crt',
  'mm1.tls.keyFile': '/etc/mmsc/tls/mm1.key',
  'mm1.webViewTls.certFile': '/etc/mmsc/tls/web.crt',
  'mm1.webViewTls.keyFile': '/etc/mmsc/tls/web.key',
  'smpp.smscs[].id': 'smsc-a',
  'smpp.smscs[].host': 'smsc.example.net',
  'smpp.smscs[].systemId': 'mmsc',
  'mm4.peers[].id': 'peer-a',
  'mm4.peers[].domain': 'mms.mnc002.mcc001.gprs',
  'mm4.peers[].prefixes': ['+4479'],
  'mm4.peers[].out.host': 'mms-in.peer.example',
  'content.userAgents[].name': 'smartphone',
  'content.userAgents[].match': 'Android|iPhone',
  'content.userAgents[].maxMessageBytes': 1048576,
  'content.routes[].prefix': '+4479',
  'content.routes[].maxMessageBytes': 614400,
};

/** One-line titles of the sections (a section's own .describe() wins). */
const SECTIONS: Record<string, string> = {
  ops: 'the ops listener: /metrics, /healthz, /readyz',
  log: 'logging (pino, JSON lines on stdout)',
  redis: 'the store: Redis (or Redis Cluster); unset = the embedded, non-durable store',
  queue: 'the store-and-forward queue',
  mm7: 'MM7 (VASPs, SOAP) and the REST API, on one listener',
  mm1: 'MM1 (handsets): retrieval, m-send-req, acknowledgements, the web view, and notifications (WAP push)',
  mm4: 'MM4 (other carriers, SMTP)',
  mm3: 'MM3 (e-mail)',
  outbound: 'requests to URLs that clients choose (REST callbacks)',
  portability: 'number portability: which network serves a number',
  smpp: 'SMPP (SMSCs): WAP push, SMS fallback, MO opt-out keywords',
};

const WIDTH = 118;

/** `text` as comment lines at `indent`, wrapped at word boundaries. */
function comment(indent: string, text: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && indent.length + 2 + line.length + 1 + word.length > WIDTH) {
      lines.push(`${indent}# ${line}`);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(`${indent}# ${line}`);
  return lines;
}

/** A value as YAML on one line: scalars as the yaml package writes them, lists and objects in flow form. */
function inline(v: unknown): string {
  if (Array.isArray(v) || (typeof v === 'object' && v !== null)) return JSON.stringify(v).replace(/,(?=["\d[{tfn-])/g, ', ');
  return stringify(v, { lineWidth: 0 }).trimEnd();
}

type Default = { kind: 'value'; value: unknown } | { kind: 'unset' } | { kind: 'required' };

/** The default of a key: its value, unset (optional) or required (as the reference's default column). */
function defaultOf(s: z.ZodType): Default {
  let t = s;
  while (t instanceof z.ZodPipe) t = t.def.in as z.ZodType;
  if (t instanceof z.ZodOptional) return { kind: 'unset' };
  if (t instanceof z.ZodDefault) return { kind: 'value', value: t.def.defaultValue };
  return { kind: 'required' };
}

/** The comment of a key: its description, the values of an enum, and what else the reader needs. */
function describe(s: z.ZodType, extra: string[]): string {
  const text = s.description ?? '';
  if (text === '') throw new Error('a configuration key without .describe()');
  const b = base(s);
  const parts = [text];
  if (b instanceof z.ZodEnum) parts.push(`one of ${Object.values(b.def.entries).join(', ')}`);
  return [parts.join('; '), ...extra].join(' ');
}

/** `key: value` with the value in a reader's unit as a trailing comment (300 KiB, 7 days). */
function keyLine(indent: string, key: string, value: unknown): string {
  const unit = typeof value === 'number' ? humane(key, value).trim() : '';
  return `${indent}${key}: ${inline(value)}${unit !== '' ? ` # ${unit.slice(1, -1)}` : ''}`;
}

/**
 * The fields of one array entry (or of an object inside it), every line commented at `outer` with the entry's
 * structure after the `# `: uncommenting them gives the entry.
 */
function entryLines(outer: string, path: string, schema: z.ZodType, depth: number): string[] {
  const pad = '  '.repeat(depth);
  const hashed = `${outer}#   ${pad}`;
  // "-" on a line of its own: a comment after it, above the first field, would not be part of the entry.
  const lines = depth === 1 ? [`${outer}#   -`] : [];
  for (const [field, fs] of Object.entries(shapeOf(schema))) {
    const fieldPath = `${path}.${field}`;
    const d = defaultOf(fs);
    const example = EXAMPLES[fieldPath];
    lines.push(...comment(hashed, describe(fs, d.kind === 'required' ? ['(required)'] : [])));
    if (base(fs) instanceof z.ZodObject) {
      lines.push(`${hashed}${field}:`, ...entryLines(outer, fieldPath, fs, depth + 1));
      continue;
    }
    if (example !== undefined) lines.push(keyLine(hashed, field, example));
    else if (d.kind === 'value') lines.push(keyLine(hashed, field, d.value));
    else if (d.kind === 'required') throw new Error(`${fieldPath}: a required field without an example (add one to EXAMPLES)`);
    else lines.push(`${hashed}# ${field}:`);
  }
  return lines;
}

const HEADER = `# mmsc configuration: every key with its description and default, generated from the schema by
# \`mmsc config example\` (do not edit this copy: copy it). The reference is docs/configuration.md.
#
# A key left out takes its default; a commented-out key is unset unless you set it. MMSC_* environment
# variables (named after each key) override the file. Check a file with \`mmsc config check FILE\`; see what the
# gateway will run with (defaults, file and environment, secrets redacted) with \`mmsc config print\`.
# The lists of accounts and peers are empty: each has a commented example entry with every field (fields
# marked "(required)" have no default); uncomment it and replace the "[]" of its key.`;

/** The example configuration, as YAML. */
export function configExample(): string {
  const env = new Map<string, string[]>();
  for (const [name, path] of envKeys()) env.set(path.join('.'), [...(env.get(path.join('.')) ?? []), name]);
  const out = [HEADER];
  for (const [section, sectionSchema] of Object.entries(ConfigSchema.shape)) {
    const s = sectionSchema as z.ZodType;
    out.push('', ...comment('', s.description ?? base(s).description ?? SECTIONS[section] ?? section), `${section}:`);
    for (const [key, ks] of Object.entries(shapeOf(s))) {
      const path = `${section}.${key}`;
      const form = envForm(path);
      const names = (env.get(path) ?? []).join(' or ');
      const written = form === 'json' ? ', as JSON' : form === 'list' ? ', comma-separated' : '';
      const d = defaultOf(ks);
      out.push(...comment('  ', describe(ks, [`(env ${names}${written})`])));
      if (d.kind === 'value') out.push(keyLine('  ', key, d.value));
      else out.push(`  # ${key}:`);
      // An object key (a listener's tls): its fields, commented, under it.
      if (base(ks) instanceof z.ZodObject) out.push(...entryLines('  ', path, ks, 0));
      const entry = entrySchema(ks);
      if (entry !== undefined) {
        out.push(`  #   # an entry of ${key}:`);
        out.push(...entryLines('  ', `${path}[]`, entry, 1));
      }
    }
  }
  return `${out.join('\n')}\n`;
}

import { HTTP_STATUS } from '../../transport/http-status.js';
import type {
  Header,
  MediaType,
  OpenApiDocument,
  Operation,
  Parameter,
  PathItem,
  Reference,
  Response,
  Schema,
  SchemaObject,
} from './types.js';

/**
 * The OpenAPI document as a Markdown page for people (docs/rest-api.md, `mmsc openapi --markdown`, `npm run
 * docs:api`): the operations with their parameters, bodies and answers, the webhook, the schemas and the errors.
 * A test holds the committed page to this output, so the page cannot drift from the document either.
 */
export function openApiMarkdown(doc: OpenApiDocument): string {
  const out: string[] = [
    `# ${doc.info.title}`,
    '',
    '<!-- Generated from src/rest/openapi/ by `npm run docs:api` (mmsc openapi --markdown): do not edit by hand. -->',
    '',
    `Version ${doc.info.version}, OpenAPI ${doc.openapi}: the document itself is served at \`GET /v1/openapi.json\` ` +
      '(no credentials needed), for code generators and API tools.',
    '',
    prose(doc.info.description),
    '',
    '## Authentication',
    '',
    ...Object.entries(doc.components.securitySchemes).map(
      ([name, s]) => `- **${name}** (${s.type === 'http' ? `HTTP ${s.scheme}` : s.type}): ${s.description}`,
    ),
    '',
    '## Operations',
    '',
    ...table(
      ['Method', 'Path', 'Operation', 'API key scope'],
      operations(doc.paths).map(([path, method, op]) => [
        method.toUpperCase(),
        `\`${path}\``,
        `[${op.summary}](#${anchor(op.operationId)})`,
        op['x-mmsc-needs'] === 'none' ? 'none (public)' : `\`${op['x-mmsc-needs']}\``,
      ]),
    ),
  ];
  for (const [path, method, op] of operations(doc.paths)) out.push(...operation(doc, `${method.toUpperCase()} ${path}`, op));
  out.push('## Webhooks', '');
  for (const [path, method, op] of operations(doc.webhooks))
    out.push(...operation(doc, `${method.toUpperCase()} ${path} (to your callbackUrl)`, op));
  out.push('## Schemas', '');
  for (const [name, schema] of Object.entries(doc.components.schemas)) out.push(...schemaSection(name, schema));
  out.push(
    '## Errors',
    '',
    'Every error answer is `{"error": {"status", "code", "message", "refusal"?, ...}}` ([Error](#error)); `refusal` is the',
    "refusal catalogue's code ([refusals.md](refusals.md)) when the error is a refusal.",
    '',
    ...table(
      ['Code', 'Status', 'Meaning'],
      Object.entries(doc.components.responses).map(([code, r]) => [`\`${code}\``, statusOf(r), r.description]),
    ),
  );
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

type Entry = [path: string, method: string, op: Operation];

function operations(paths: Record<string, PathItem>): Entry[] {
  return Object.entries(paths).flatMap(([path, item]) => Object.entries(item).map(([m, op]): Entry => [path, m, op]));
}

function operation(doc: OpenApiDocument, title: string, op: Operation): string[] {
  const out = [
    `### ${op.summary}`,
    '',
    `<a id="${anchor(op.operationId)}"></a>\`${title}\` (operationId \`${op.operationId}\`)`,
    '',
    prose(op.description),
    '',
  ];
  const needs = op['x-mmsc-needs'];
  if (needs !== undefined)
    out.push(
      needs === 'none'
        ? 'No credentials.'
        : `Credentials: HTTP Basic, a client certificate, or an API key with scope \`${needs}\` or \`full\`.`,
      '',
    );
  const params = (op.parameters ?? []).map((p) => deref<Parameter>(doc, p));
  if (params.length > 0) {
    out.push('Parameters:', '');
    out.push(
      ...table(
        ['Name', 'In', 'Required', 'Type', 'Description'],
        params.map((p) => [`\`${p.name}\``, p.in, p.required ? 'yes' : 'no', typeText(p.schema), p.description]),
      ),
    );
  }
  if (op.requestBody) {
    out.push(`Request body${op.requestBody.required ? '' : ' (optional)'}: ${op.requestBody.description}`, '');
    for (const [type, media] of Object.entries(op.requestBody.content)) out.push(...mediaText(type, media));
  }
  out.push('Answers:', '');
  out.push(
    ...table(
      ['Status', 'Meaning', 'Body', 'Headers'],
      Object.entries(op.responses).map(([status, r]) => {
        const response = deref<Response>(doc, r);
        const code = '$ref' in r ? ` (\`${r.$ref.split('/').pop()}\`)` : '';
        return [`${status}${code}`, response.description, bodyText(response), headersText(doc, response)];
      }),
    ),
  );
  return out;
}

function mediaText(type: string, media: MediaType): string[] {
  const out = [`- \`${type}\`: ${media.schema !== undefined ? typeText(media.schema) : 'any bytes'}`, ''];
  for (const [name, ex] of Object.entries(media.examples ?? {}))
    out.push(`Example (${ex.summary ?? name}):`, '', '```json', JSON.stringify(ex.value, null, 2), '```', '');
  return out;
}

function bodyText(r: Response): string {
  return Object.entries(r.content ?? {})
    .map(([type, m]) => `\`${type}\`${m.schema !== undefined && type !== 'text/plain' ? ` ${typeText(m.schema)}` : ''}`)
    .join(', ');
}

function headersText(doc: OpenApiDocument, r: Response): string {
  return Object.entries(r.headers ?? {})
    .map(([name, h]) => `\`${name}\`${deref<Header>(doc, h).required ? '' : ' (optional)'}`)
    .join(', ');
}

function schemaSection(name: string, schema: Schema): string[] {
  const out = [`### ${name}`, ''];
  if (typeof schema === 'boolean') return [...out, schema ? 'Anything.' : 'Nothing.', ''];
  if (schema.description) out.push(schema.description, '');
  if (schema.properties) {
    const required = new Set(schema.required ?? []);
    out.push(
      ...table(
        ['Field', 'Required', 'Type', 'Description'],
        Object.entries(schema.properties).map(([field, s]) => [
          `\`${field}\``,
          required.has(field) ? 'yes' : 'no',
          typeText(s),
          typeof s === 'object' ? nested(s) : '',
        ]),
      ),
    );
    if (schema.additionalProperties === false) out.push('No other fields.', '');
    else if (typeof schema.additionalProperties === 'object') out.push(`Other fields: ${typeText(schema.additionalProperties)}.`, '');
    if (schema.anyOf)
      out.push(
        `At least one of: ${schema.anyOf.map((s) => (typeof s === 'object' ? (s.required ?? []).map((f) => `\`${f}\``).join(' and ') : '')).join(', ')}.`,
        '',
      );
    if (schema.not && typeof schema.not === 'object' && schema.not.required)
      out.push(`Not all of: ${schema.not.required.map((f) => `\`${f}\``).join(', ')}.`, '');
  } else if (schema.oneOf) {
    out.push('One of:', '');
    for (const alt of schema.oneOf) {
      if (typeof alt === 'object' && alt.properties) out.push('- an object:', '', ...schemaSection('', alt).slice(2));
      else out.push(`- ${typeText(alt)}${typeof alt === 'object' && alt.description ? `: ${alt.description}` : ''}`, '');
    }
  } else {
    out.push(`${typeText(schema)}.`, '');
  }
  return out;
}

/** A property's description, with the fields of an inline object or of an array's inline items. */
function nested(s: SchemaObject): string {
  const inner = s.items !== undefined && typeof s.items === 'object' && s.items.properties ? s.items : s.properties ? s : undefined;
  const fields = inner?.properties
    ? ` Fields: ${Object.entries(inner.properties)
        .map(([f, fs]) => `\`${f}\`${(inner.required ?? []).includes(f) ? '' : '?'} ${typeText(fs)}`)
        .join('; ')}.`
    : '';
  return `${s.description ?? ''}${fields}`.trim();
}

/** A schema's type in a few words: refs as links, enums listed, formats and bounds said. */
export function typeText(s: Schema): string {
  if (s === true) return 'anything';
  if (s === false) return 'absent';
  if (s.$ref) {
    const name = s.$ref.split('/').pop()!;
    return `[${name}](#${anchor(name)})`;
  }
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return `one of ${s.enum.map((e) => `\`${String(e)}\``).join(', ')}`;
  if (s.oneOf) return s.oneOf.map(typeText).join(' or ');
  if (s.anyOf && !s.type) return s.anyOf.map(typeText).join(' or ');
  if (s.allOf)
    return s.allOf
      .map(typeText)
      .filter((x) => x !== 'object')
      .join(' and ');
  const type: string = typeof s.type === 'string' ? s.type : s.type !== undefined ? s.type.join(' or ') : 'object';
  if (type === 'array')
    return `array of ${s.items !== undefined ? typeText(s.items) : 'anything'}${bounds(s.minItems, s.maxItems, 'items')}`;
  const notes: string[] = [];
  if (s.format) notes.push(s.format === 'date-time' ? 'RFC 3339 date-time' : s.format);
  if (s.contentMediaType) notes.push(`bytes: ${s.contentMediaType}`);
  if (s.pattern) notes.push(`pattern \`${s.pattern}\``);
  if (s.minimum !== undefined || s.maximum !== undefined) notes.push(`${s.minimum ?? ''}..${s.maximum ?? ''}`);
  if (s.maxLength !== undefined) notes.push(`at most ${s.maxLength} characters`);
  if (s.default !== undefined) notes.push(`default \`${JSON.stringify(s.default)}\``);
  return notes.length > 0 ? `${type} (${notes.join(', ')})` : type;
}

function bounds(min: number | undefined, max: number | undefined, what: string): string {
  if (min === undefined && max === undefined) return '';
  return ` (${min ?? 0}..${max ?? ''} ${what})`;
}

function statusOf(r: Response): string {
  const schema = r.content?.['application/json']?.schema;
  const second = typeof schema === 'object' ? schema.allOf?.[1] : undefined;
  const error = typeof second === 'object' ? second.properties?.error : undefined;
  const status = typeof error === 'object' ? error.properties?.status : undefined;
  return typeof status === 'object' && status.const !== undefined ? String(status.const) : String(HTTP_STATUS.UNAUTHORIZED);
}

function deref<T>(doc: OpenApiDocument, x: T | Reference): T {
  if (typeof x !== 'object' || x === null || !('$ref' in x)) return x as T;
  let node: unknown = doc;
  for (const p of (x as Reference).$ref.replace(/^#\//, '').split('/')) node = (node as Record<string, unknown>)[p];
  return node as T;
}

/** A description's paragraphs, each on one line; code blocks and lists as written. */
function prose(text: string): string {
  return text
    .split('\n\n')
    .map((p) => (p.startsWith('```') || p.startsWith('- ') ? p : p.replace(/\n/g, ' ')))
    .join('\n\n');
}

function anchor(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9-]/g, '');
}

function table(head: string[], rows: string[][]): string[] {
  const cell = (c: string) => c.replace(/\|/g, '\\|').replace(/</g, '\\<').replace(/\n/g, ' ');
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`), ''];
}

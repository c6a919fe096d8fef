// Reading a configuration file: JSON or YAML, chosen by its extension (.json, .yaml/.yml) or, for any other
// name, by its first character ({ = JSON). A syntax error names the line and column; a key the schema refuses
// is located in the file afterwards (lineOf), so that `mmsc config check` can say where to look.
// YAML is read as YAML 1.2 (the yaml package's core schema): `yes`/`no`/`on` are strings, not booleans, and
// numbers with leading zeros are not octal, so that a value means what it says in either format.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';

export type ConfigFormat = 'json' | 'yaml';

export interface ConfigFile {
  /** The top-level mapping (sections); an empty file is {}. */
  data: Record<string, unknown>;
  format: ConfigFormat;
  /** The line (1-based) of the value at `path` (keys and array indexes), or of its nearest enclosing value. */
  lineOf(path: readonly (string | number)[]): number | undefined;
}

/** JSON or YAML: by extension, else a leading `{` (after blanks) is JSON. */
export function formatOf(file: string, text: string): ConfigFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  return text.trimStart().startsWith('{') ? 'json' : 'yaml';
}

/** "line L, column C" of a character offset. */
function where(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

/**
 * The offset of the first JSON syntax error (RFC 8259), or undefined when there is none. Node 20's JSON.parse
 * says what is wrong but not where; this says where, and JSON.parse stays the judge of what JSON is.
 */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const blank = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const string = (): void => {
    if (text[i] !== '"') fail();
    i++;
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c) || c < 0x20) fail();
      if (c === 0x22) return void i++;
      if (c === 0x5c) {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 5;
        } else if ('"\\/bfnrt'.includes(text[i] ?? 'x')) i++;
        else fail();
      } else i++;
    }
  };
  const value = (): void => {
    blank();
    const c = text[i];
    if (c === '{') {
      i++;
      blank();
      if (text[i] === '}') return void i++;
      for (;;) {
        blank();
        string();
        blank();
        if (text[i] !== ':') fail();
        i++;
        value();
        blank();
        if (text[i] === '}') return void i++;
        if (text[i] !== ',') fail();
        i++;
      }
    }
    if (c === '[') {
      i++;
      blank();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        blank();
        if (text[i] === ']') return void i++;
        if (text[i] !== ',') fail();
        i++;
      }
    }
    if (c === '"') return string();
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) fail();
    i += m![0].length;
  };
  try {
    value();
    blank();
    return i < text.length ? i : undefined;
  } catch (at) {
    return at as number;
  }
}

/** Reads and parses `file`; throws an Error whose message names the line of a syntax error. */
export function readConfigFile(file: string): ConfigFile {
  const text = readFileSync(file, 'utf8');
  const format = formatOf(file, text);
  let data: unknown;
  if (format === 'json') {
    try {
      data = JSON.parse(text);
    } catch (e) {
      const at = jsonErrorOffset(text);
      throw new Error(`not valid JSON${at !== undefined ? ` at ${where(text, at)}` : ''}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  // Parsed as YAML in both cases to locate keys: JSON is YAML 1.2, and the parse keeps each node's offset.
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (format === 'yaml') {
    const error = doc.errors[0];
    if (error !== undefined) {
      const pos = lines.linePos(error.pos[0]);
      throw new Error(`not valid YAML at line ${pos.line}, column ${pos.col}: ${error.message.split('\n')[0]}`);
    }
    // An alias bomb (a billion laughs) is refused by toJS's alias count limit.
    data = doc.toJS({ maxAliasCount: 100 });
  }
  if (data === null || data === undefined) data = {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new Error('expected a mapping of sections (ops, mm7, ...) at the top');
  // A YAML section whose keys are all commented out (`redis:` and nothing under it) is empty, not null.
  const sections = data as Record<string, unknown>;
  if (format === 'yaml') for (const [k, v] of Object.entries(sections)) if (v === null) sections[k] = {};
  return {
    data: sections,
    format,
    lineOf(path) {
      if (doc.errors.length > 0) return undefined;
      let node: unknown = doc.contents;
      // The key's own line where there is one (a mapping's value starts on the next line when it is a block).
      let offset = (node as Node | null)?.range?.[0];
      for (const seg of path) {
        if (isMap(node)) {
          const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
          if (pair === undefined) break;
          offset = (pair.key as Node).range?.[0] ?? offset;
          node = pair.value;
        } else if (isSeq(node)) {
          const item: unknown = node.items[Number(seg)];
          if (item === undefined) break;
          offset = (item as Node).range?.[0] ?? offset;
          node = item;
        } else break;
      }
      return offset === undefined ? undefined : lines.linePos(offset).line;
    },
  };
}

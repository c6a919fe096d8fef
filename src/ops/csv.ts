/**
 * CSV as RFC 4180 defines it, strictly: records end with CRLF (LF alone is taken too), fields are separated
 * by commas, a field with a comma, a quote or a line break is quoted ("..."), a quote inside one is doubled.
 * The parser reads a bounded string (the caller bounds the body) and reports a bad record with its line
 * number instead of guessing: a quote inside an unquoted field, text after a closing quote, an unterminated
 * quote, too many fields or a field too long. A bad record is skipped to the next line; the others go on.
 */

/** One record: its fields, and the line it starts on (1-based), for error reports. */
export type CsvRecord = { line: number; fields: string[] } | { line: number; error: string };

export interface CsvLimits {
  /** Fields a record may have. */
  maxFields: number;
  /** Characters a field may have. */
  maxFieldChars: number;
}

const DEFAULT_LIMITS: CsvLimits = { maxFields: 32, maxFieldChars: 4096 };

/** The records of `text`, one at a time. Empty lines are skipped. */
export function* parseCsv(text: string, limits: CsvLimits = DEFAULT_LIMITS): Generator<CsvRecord> {
  let i = 0;
  let line = 1;
  const n = text.length;
  // A byte order mark at the start is not data.
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  while (i < n) {
    const start = line;
    // An empty line: nothing.
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n')) {
      i += text[i] === '\r' ? 2 : 1;
      line++;
      continue;
    }
    const fields: string[] = [];
    let error: string | undefined;
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        let closed = false;
        while (i < n) {
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
          if (field.length > limits.maxFieldChars) break;
        }
        if (field.length > limits.maxFieldChars) error = `field ${fields.length + 1} over ${limits.maxFieldChars} characters`;
        else if (!closed) error = 'a quoted field is not closed';
        else if (i < n && text[i] !== ',' && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n'))
          error = `text after the closing quote of field ${fields.length + 1}`;
      } else {
        while (i < n && text[i] !== ',' && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) {
          const c = text[i]!;
          if (c === '"') {
            error = `a quote inside unquoted field ${fields.length + 1}`;
            break;
          }
          if (c === '\r') {
            error = `a bare CR in field ${fields.length + 1}`;
            break;
          }
          field += c;
          i++;
          if (field.length > limits.maxFieldChars) {
            error = `field ${fields.length + 1} over ${limits.maxFieldChars} characters`;
            break;
          }
        }
      }
      if (error) break;
      fields.push(field);
      if (fields.length > limits.maxFields) {
        error = `more than ${limits.maxFields} fields`;
        break;
      }
      if (i < n && text[i] === ',') {
        i++;
        continue;
      }
      break; // end of line or of text
    }
    if (error) {
      // Skip the rest of the physical line.
      while (i < n && text[i] !== '\n') i++;
    }
    if (i < n && text[i] === '\r') i++;
    if (i < n && text[i] === '\n') i++;
    line++;
    yield error ? { line: start, error } : { line: start, fields };
  }
}

/** One field as RFC 4180 writes it: quoted when it holds a comma, a quote, a line break, or space at either end. */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One record, CRLF-terminated (RFC 4180 §2.1). */
export function csvRecord(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

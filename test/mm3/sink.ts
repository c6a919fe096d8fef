// Test helpers of the MM3 tests: the SMTP sink standing for the mail relay (helpers/smtp-sink.ts), a
// line-by-line raw SMTP client, and a reader of received mail (protocols/mm4's header-block and MIME reader).
import type { Test } from 'tap';
import type { MimeHeaders } from '../../protocols/mime/index.js';
import { DEFAULT_MM4_LIMITS, type Mm4Content } from '../../protocols/mm4/index.js';
import { parseContent } from '../../protocols/mm4/content.js';
import { splitMessage } from '../../protocols/mm4/header-block.js';
import { RawSmtp } from '../helpers/smtp-raw.js';

export { smtpSink as sink, type Received, type Sink } from '../helpers/smtp-sink.js';

/** A received mail read back: its header fields and its MIME tree. */
export async function readBack(bytes: Buffer): Promise<{ headers: MimeHeaders; content: Mm4Content }> {
  const { headers, body } = splitMessage(bytes, DEFAULT_MM4_LIMITS);
  return { headers, content: await parseContent(headers, body, DEFAULT_MM4_LIMITS.maxBytes) };
}

/**
 * The shared line-by-line SMTP client (helpers/smtp-raw.ts), opened from `localAddress` (another loopback
 * address stands for another host) and closed at the test's teardown.
 */
export async function rawSession(t: Test, port: number, localAddress = '127.0.0.1'): Promise<{ raw: RawSmtp; greeting: string }> {
  const opened = await RawSmtp.open(port, { localAddress });
  t.teardown(() => opened.raw.end());
  return opened;
}

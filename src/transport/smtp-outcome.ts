/**
 * What an SMTP client failure (nodemailer's SMTPError) means for a delivery job, for the SMTP edges (MM3's relay,
 * MM4's peers). RFC 5321 §4.2.1: a 5yz reply to MAIL, RCPT or
 * DATA refuses this message for good (rejected, the reply kept); 4yz replies, connection failures and
 * timeouts (no reply at all), and AUTH or TLS failures (about the link, not the message: the operator fixes
 * them, the queue dead-letters the job if nobody does) are retried. A server's SIZE (RFC 1870) below the
 * message is permanent.
 */
export type SmtpOutcome = { status: 'retry'; error: string } | { status: 'rejected'; detail: string };

/** The shape of nodemailer's errors: only what is read. */
interface SmtpErrorLike {
  message?: string;
  code?: string;
  response?: string;
  responseCode?: number;
  command?: string;
}

/** `who`: the server as a log line names it ("mail relay 127.0.0.1:25"); `it`: what was sent ("the forward"). */
export function smtpFailure(who: string, err: unknown, it = 'it'): SmtpOutcome {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SmtpErrorLike;
  const reply = e.response?.trim();
  const what = `${e.code ?? 'ERROR'}${e.command ? ` at ${e.command}` : ''}`;
  if (e.code === 'EAUTH' || e.code === 'ETLS') return { status: 'retry', error: `${who}: ${what}: ${reply ?? e.message ?? ''}`.trim() };
  if (e.responseCode !== undefined && e.responseCode >= 500 && e.responseCode < 600)
    return { status: 'rejected', detail: `${who} refused ${it}: ${reply}` };
  if (e.responseCode !== undefined && e.responseCode >= 400 && e.responseCode < 500)
    return { status: 'retry', error: `${who} deferred ${it}: ${reply}` };
  if (e.code === 'EMESSAGE' && /size/i.test(e.message ?? '')) return { status: 'rejected', detail: `${who}: ${e.message}` };
  return { status: 'retry', error: `${who} not reached: ${what}: ${reply ?? e.message ?? String(err)}` };
}

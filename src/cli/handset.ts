import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parseArgs } from 'node:util';
import { type MmsPdu, pduToJson } from '../../protocols/mms/index.js';
import { Handset } from '../tools/handset.js';
import { type Command, usageError } from './command.js';
import { HTTP_STATUS, isHttpSuccess } from '../transport/http-status.js';

const USAGE = `  mmsc handset --gateway URL --msisdn +NUMBER [--header x-msisdn] ACTION
                                      a handset behind a WAP gateway (the subscriber in --header, as
                                      mm1.msisdnHeader; the gateway believes it from mm1.trustedProxies):
      fetch URL [--ack] [--data]      GET a Content-Location, print the m-retrieve-conf as JSON (--data: with
                                      the parts' bytes as base64); --ack: acknowledge it (m-acknowledge-ind)
      ack TRANSACTION-ID              m-acknowledge-ind
      send FILE|--text TEXT --to +NUMBER... [--subject S] [--type MEDIA-TYPE] [--read-report]
                                      m-send-req asking for a delivery report (--read-report: and a read
                                      report); prints the m-send-conf
      read-report MESSAGE-ID --to +SENDER
                                      m-read-rec-ind (read) to the message's sender`;

/** Media types by file extension, for `send FILE` without --type. */
const TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.txt': 'text/plain',
  '.amr': 'audio/amr',
  '.mp3': 'audio/mpeg',
  '.3gp': 'video/3gpp',
  '.mp4': 'video/mp4',
  '.smil': 'application/smil',
};

const print = (pdu: MmsPdu, data = false) => process.stdout.write(`${JSON.stringify(pduToJson(pdu, { data }), null, 2)}\n`);

/** Exit 0 for an HTTP 2xx, else the answer on stderr and exit 1. */
function answered(a: { status: number; body: Buffer; pdu?: MmsPdu }, what: string): number {
  if (a.pdu !== undefined) print(a.pdu);
  if (isHttpSuccess(a.status)) {
    if (a.pdu === undefined) process.stdout.write(`${what}: HTTP ${a.status}\n`);
    return 0;
  }
  process.stderr.write(`mmsc: ${what} answered HTTP ${a.status} ${a.pdu === undefined ? a.body.toString('utf8').slice(0, 500) : ''}\n`);
  return 1;
}

export const handsetCommand: Command = {
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        gateway: { type: 'string' },
        msisdn: { type: 'string' },
        header: { type: 'string', default: 'x-msisdn' },
        ack: { type: 'boolean', default: false },
        data: { type: 'boolean', default: false },
        text: { type: 'string' },
        to: { type: 'string', multiple: true },
        subject: { type: 'string' },
        type: { type: 'string' },
        'read-report': { type: 'boolean', default: false },
      },
    });
    if (values.gateway === undefined || !/^https?:\/\//.test(values.gateway))
      return usageError(handsetCommand, '--gateway takes the MM1 URL (http://host:port)');
    if (values.msisdn === undefined || !/^\+\d{6,15}$/.test(values.msisdn))
      return usageError(handsetCommand, '--msisdn takes a +E.164 number');
    const handset = new Handset(values.msisdn, values.gateway.replace(/\/+$/, ''), values.header);
    const [action, arg, ...more] = positionals;
    if (more.length > 0) return usageError(handsetCommand, `unexpected ${more.join(' ')}`);
    const to = values.to ?? [];
    if (action === 'fetch' && arg !== undefined) {
      const got = await handset.retrieve(arg);
      if (got.pdu === undefined || got.status !== HTTP_STATUS.OK) return answered(got, 'fetch');
      print(got.pdu, values.data);
      if (!values.ack) return 0;
      const tid = got.pdu.transactionId;
      if (tid === undefined) return usageError(handsetCommand, 'the m-retrieve-conf has no Transaction-ID to acknowledge');
      return answered(await handset.acknowledge(tid), 'm-acknowledge-ind');
    }
    if (action === 'ack' && arg !== undefined) return answered(await handset.acknowledge(arg), 'm-acknowledge-ind');
    if (action === 'send') {
      if (to.length === 0 || to.some((n) => !/^\+\d{3,15}$/.test(n) && !n.includes('@')))
        return usageError(handsetCommand, 'send needs --to +NUMBER (or an e-mail address), one or more');
      if ((arg === undefined) === (values.text === undefined))
        return usageError(handsetCommand, 'send takes a FILE or --text, one of them');
      const content =
        arg === undefined
          ? { text: values.text! }
          : {
              data: readFileSync(arg),
              type: values.type ?? TYPES[extname(arg).toLowerCase()] ?? 'application/octet-stream',
              name: basename(arg),
            };
      const o = { readReport: values['read-report'], ...(values.subject !== undefined ? { subject: values.subject } : {}) };
      return answered(await handset.send(to, content, o), 'm-send-req');
    }
    if (action === 'read-report' && arg !== undefined) {
      if (to.length !== 1) return usageError(handsetCommand, 'read-report needs --to +SENDER (the sender of the message read)');
      return answered(await handset.readReport(arg, to[0]!), 'm-read-rec-ind');
    }
    return usageError(handsetCommand);
  },
};

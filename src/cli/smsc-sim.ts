import { parseArgs } from 'node:util';
import { pduToJson } from '../../protocols/mms/index.js';
import { PushAssembler } from '../tools/push-assembler.js';
import { startSmsc } from '../tools/smsc-sim.js';
import { type Command, usageError } from './command.js';

const USAGE = `  mmsc smsc-sim [--port 2775] [--host 127.0.0.1] [--system-id ID --password PW] [--receipts text|tlv|both]
                                      an SMSC simulator (SMPP 3.4, like Kannel's fakesmsc): accepts binds (any
                                      system_id and password unless given), acknowledges every submit_sm, and
                                      prints each one decoded: a WAP push as its MMS PDU (JSON), an SMS as text;
                                      --receipts: a delivery receipt (deliver_sm) for those that ask for one`;

const RECEIPTS = ['text', 'tlv', 'both'] as const;

export const smscSimCommand: Command = {
  usage: USAGE,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', default: '2775' },
        host: { type: 'string', default: '127.0.0.1' },
        'system-id': { type: 'string' },
        password: { type: 'string' },
        receipts: { type: 'string' },
      },
    });
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) return usageError(smscSimCommand, '--port takes 0 to 65535');
    const receipts = RECEIPTS.find((r) => r === values.receipts);
    if (values.receipts !== undefined && receipts === undefined) return usageError(smscSimCommand, '--receipts takes text, tlv or both');
    const out = (line: string) => process.stdout.write(`${line}\n`);
    const assembler = new PushAssembler();
    const smsc = await startSmsc({
      port,
      host: values.host,
      ...(values['system-id'] !== undefined ? { systemId: values['system-id'] } : {}),
      ...(values.password !== undefined ? { password: values.password } : {}),
      ...(receipts !== undefined ? { receipts } : {}),
      onDeliver: (d) => out(`deliver_sm ${d.kind}${d.messageId !== undefined ? ` for ${d.messageId}` : ''}: answered status ${d.status}`),
      onBind: (b) =>
        out(`${b.command} system_id=${b.systemId}: ${b.status === 0 ? 'bound' : `refused (status 0x${b.status.toString(16)})`}`),
      onSubmit: (s) => {
        if (s.status !== 0) return;
        const a = assembler.add(s);
        const id = `submit_sm ${s.messageId}`;
        if (a.kind === 'sms') out(`${id} sms to ${a.to} from ${s.sourceAddr}: ${a.text}`);
        else if (a.kind === 'segment') out(`${id} push segment to ${a.to}`);
        else if (a.kind === 'bad-push') out(`${id} push to ${a.to}, not decodable: ${a.error}`);
        else out(`${id} push to ${a.to}: ${JSON.stringify(pduToJson(a.pdu))}`);
      },
    });
    out(`smsc-sim listening on smpp://${values.host}:${smsc.port}`);
    await new Promise<void>((done) => {
      process.once('SIGINT', () => done());
      process.once('SIGTERM', () => done());
    });
    await smsc.stop();
    return 0;
  },
};

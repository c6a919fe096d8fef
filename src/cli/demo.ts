import { parseArgs } from 'node:util';
import type { Config } from '../ops/config.js';
import type { Logger } from '../ops/logger.js';
import { DEMO_PORT_BASE, type DemoGateway, runDemo } from '../tools/demo.js';
import { type Command, usageError } from './command.js';

const USAGE = `  mmsc demo [--port-base N] [--to +NUMBER]
                                      the gateway on loopback with the embedded store, a demo VASP, an SMSC
                                      simulator and simulated handsets; prints a curl command that sends an
                                      MMS with a picture, then every event down to the delivery report.
                                      Ports: N+1 MM1, N+2 ops, N+3 SMSC, N+4 callback, N+7 MM7/REST
                                      (default N = ${DEMO_PORT_BASE}; 0 = any free ports)`;

/** `mmsc demo`; the gateway is built by `build` (only src/cli.ts builds the composition root). */
export function demoCommand(build: (config: Config, log: Logger) => DemoGateway): Command {
  const command: Command = {
    usage: USAGE,
    async run(argv) {
      const { values } = parseArgs({ args: argv, options: { 'port-base': { type: 'string' }, to: { type: 'string' } } });
      const base = values['port-base'] === undefined ? DEMO_PORT_BASE : Number(values['port-base']);
      if (!Number.isInteger(base) || base < 0 || base > 65_528) return usageError(command, '--port-base takes 0 to 65528');
      if (values.to !== undefined && !/^\+\d{6,15}$/.test(values.to)) return usageError(command, '--to takes a +E.164 number');
      const demo = await runDemo(
        {
          portBase: base,
          print: (line) => process.stdout.write(`${line}\n`),
          warn: (line) => process.stderr.write(`${line}\n`),
          ...(values.to !== undefined ? { to: values.to } : {}),
        },
        build,
      );
      await new Promise<void>((done) => {
        process.once('SIGINT', () => done());
        process.once('SIGTERM', () => done());
      });
      await demo.stop();
      return 0;
    },
  };
  return command;
}

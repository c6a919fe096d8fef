import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { OPENAPI_DOCUMENT } from '../rest/openapi/document.js';
import { openApiMarkdown } from '../rest/openapi/markdown.js';
import { type Command, usageError } from './command.js';

const USAGE = `  mmsc openapi [--markdown] [-o FILE]  the REST API's OpenAPI 3.1 document (as served at /v1/openapi.json),
                                      as JSON or, with --markdown, as the page docs/rest-api.md`;

/** `mmsc openapi`: the document without a running gateway (`npm run docs:api` renders docs/rest-api.md with it). */
export const openApiCommand: Command = {
  usage: USAGE,
  run(argv) {
    let values: { markdown?: boolean; output?: string };
    try {
      ({ values } = parseArgs({ args: argv, options: { markdown: { type: 'boolean' }, output: { type: 'string', short: 'o' } } }));
    } catch (e) {
      return usageError(openApiCommand, (e as Error).message);
    }
    const text = values.markdown ? openApiMarkdown(OPENAPI_DOCUMENT) : `${JSON.stringify(OPENAPI_DOCUMENT, null, 2)}\n`;
    if (values.output !== undefined) writeFileSync(values.output, text);
    else process.stdout.write(text);
    return 0;
  },
};

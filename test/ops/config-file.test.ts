// Configuration files in JSON or YAML: the same configuration either way, syntax errors with the line and
// column, and a value the schema refuses located by its line in the file.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { formatOf, jsonErrorOffset, readConfigFile } from '../../src/ops/config-file.js';
import { ConfigError, loadConfig } from '../../src/ops/config.js';

const dir = mkdtempSync(join(tmpdir(), 'mmsc-cfgfile-'));
function write(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}
function error(file: string): string {
  try {
    loadConfig({ file, env: {} });
  } catch (e) {
    if (e instanceof ConfigError) return e.message.replaceAll(file, 'FILE');
    throw e;
  }
  return 'no error';
}

const YAML_TEXT = `# a comment
ops:
  port: 9999
log:
  level: warn
mm7:
  vasps:
    - id: vasp-a
      username: a
      password: secret-a
      senders: ["12345"]
      rate: 5
smpp:
  stopKeywords: [STOP, "NO"]
`;
const SAME_JSON = {
  ops: { port: 9999 },
  log: { level: 'warn' },
  mm7: { vasps: [{ id: 'vasp-a', username: 'a', password: 'secret-a', senders: ['12345'], rate: 5 }] },
  smpp: { stopKeywords: ['STOP', 'NO'] },
};

t.test('a YAML file gives the configuration its JSON twin gives', async (t) => {
  const fromYaml = loadConfig({ file: write('c.yaml', YAML_TEXT), env: {} });
  const fromJson = loadConfig({ file: write('c.json', JSON.stringify(SAME_JSON, null, 2)), env: {} });
  t.strictSame(fromYaml, fromJson);
  t.equal(fromYaml.ops.port, 9999);
  t.equal(fromYaml.mm7.vasps[0]?.rate, 5);
  // YAML 1.2: NO is a string, not false (YAML 1.1's "Norway problem").
  t.strictSame(fromYaml.smpp.stopKeywords, ['STOP', 'NO']);
  t.equal(loadConfig({ file: write('c.yml', 'ops: {port: 1234}\n'), env: {} }).ops.port, 1234, '.yml too');
  // The environment still wins over the file.
  t.equal(loadConfig({ file: write('c2.yaml', YAML_TEXT), env: { MMSC_OPS_PORT: '7' } }).ops.port, 7);
});

t.test('the format is the extension, else a leading { means JSON', async (t) => {
  t.equal(formatOf('/etc/mmsc.json', 'ops: {}'), 'json');
  t.equal(formatOf('/etc/mmsc.YAML', '{}'), 'yaml');
  t.equal(formatOf('/etc/mmsc.conf', '  \n{"ops": {}}'), 'json');
  t.equal(formatOf('/etc/mmsc.conf', 'ops:\n  port: 1\n'), 'yaml');
  t.equal(loadConfig({ file: write('sniffed.conf', 'ops:\n  port: 4321\n'), env: {} }).ops.port, 4321);
  t.equal(loadConfig({ file: write('sniffed2', '{"ops": {"port": 4322}}'), env: {} }).ops.port, 4322);
});

t.test('a YAML syntax error names the line and column', async (t) => {
  t.match(
    error(write('bad1.yaml', 'ops:\n  port: 1\nmm7:\n  vasps: [1, 2\nlog: {}\n')),
    /^config file FILE: not valid YAML at line \d+, column \d+: /,
  );
  t.match(
    error(write('bad2.yaml', 'ops:\n  port: 1\n  port: 2\n')),
    /^config file FILE: not valid YAML at line 3, column 3: Map keys must be unique/,
  );
  t.match(error(write('bad3.yaml', 'ops:\n  port: 1\n   host: x\n')), /not valid YAML at line 2, column \d+/);
});

t.test('a JSON syntax error names the line and column', async (t) => {
  t.match(error(write('bad1.json', '{\n  "ops": {\n    "port": 1,\n  }\n}\n')), /^config file FILE: not valid JSON at line 4, column 3: /);
  t.match(error(write('bad2.json', '{"ops": {"port": 01}}')), /not valid JSON at line 1, column 19/);
  t.match(error(write('bad3.json', '{"a": 1}\n{"b": 2}')), /not valid JSON at line 2, column 1/);
  // JSON is stricter than YAML: a comment is an error in a .json file.
  t.match(error(write('bad4.json', '{\n# no\n}')), /not valid JSON at line 2, column 1/);
});

t.test('jsonErrorOffset finds the first error, and none in valid JSON', async (t) => {
  for (const ok of ['{}', '[]', ' {"a": [1, -2.5e3, true, false, null, "x\\u00e9\\n"]} ', '"s"', '0'])
    t.equal(jsonErrorOffset(ok), undefined, ok);
  t.equal(jsonErrorOffset('{"a" 1}'), 5);
  t.equal(jsonErrorOffset('[1,]'), 3);
  t.equal(jsonErrorOffset('"a\tb"'), 2, 'a raw tab in a string');
  t.equal(jsonErrorOffset('{"a": "\\x"}'), 8);
  t.equal(jsonErrorOffset(''), 0);
});

t.test('a value the schema refuses is located by its line in the file', async (t) => {
  const f = write(
    'schema.yaml',
    'ops:\n  port: 9464\nmm7:\n  vasps:\n    - id: v\n      username: u\n      password: p\n      senders: ["12345"]\n      rate: -1\n',
  );
  t.match(error(f), /mm7\.vasps\.0\.rate: .* \(from file FILE:9\)/);
  t.match(error(write('unknown.yaml', 'ops:\n  port: 9464\n  prot: 1\n')), /ops\.prot: unknown key \(from file FILE:3\)/);
  const j = write('schema.json', '{\n  "ops": {\n    "port": 70000\n  }\n}\n');
  t.match(error(j), /ops\.port: .* \(from file FILE:3\)/);
  // A field missing from an entry: the entry's line.
  t.match(
    error(write('missing.yaml', 'mm7:\n  vasps:\n    - id: v\n      password: p\n      senders: ["12345"]\n')),
    /mm7\.vasps\.0\.username: .* \(from file FILE:3\)/,
  );
});

t.test('an empty file is every default; anything but a mapping at the top is refused', async (t) => {
  t.equal(loadConfig({ file: write('empty.yaml', '# nothing yet\n'), env: {} }).ops.port, 9464);
  t.match(error(write('list.yaml', '- ops\n- mm7\n')), /config file FILE: expected a mapping of sections/);
  t.match(error(write('scalar.json', '42')), /config file FILE: expected a mapping of sections/);
  t.match(error(join(dir, 'absent.yaml')), /config file FILE: ENOENT/);
});

t.test('a YAML alias bomb is refused, not expanded', async (t) => {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 12; i++)
    lines.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(',')}]`,
    );
  t.match(error(write('bomb.yaml', `${lines.join('\n')}\n`)), /config file FILE: .*[Aa]lias/);
});

t.test('readConfigFile reports its format and lines of nested values', async (t) => {
  const r = readConfigFile(write('lines.yaml', YAML_TEXT));
  t.equal(r.format, 'yaml');
  t.equal(r.lineOf(['log', 'level']), 5);
  t.equal(r.lineOf(['mm7', 'vasps', 0, 'rate']), 12);
  t.equal(r.lineOf(['mm7', 'vasps', '0', 'senders', '0']), 11);
  t.equal(r.lineOf(['nope', 'x']), 2, 'nothing there: the first key');
});

t.test('a YAML section with every key commented out is empty, not null', async (t) => {
  t.equal(
    loadConfig({ file: write('empty-section.yaml', 'redis:\n  # url: redis://127.0.0.1:6379\nops:\n  port: 1\n'), env: {} }).redis.url,
    undefined,
  );
  // In JSON, null is written on purpose: refused.
  t.match(error(write('null-section.json', '{"redis": null}')), /redis: .*null/);
});

// A clone needs nothing outside its own repository: no tracked file reads ../shared (the workspace the
// project was started in) or a SHARED_DIR override. The vectors and scripts the tests use are vendored
// in conformance/ (see conformance/vectors/SOURCES.md).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ROOT, VECTORS } from '../helpers/paths.js';

const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
  .split('\0')
  .filter((f) => f !== '');

t.test('no tracked file points outside the repository for vectors or tools', async (t) => {
  t.ok(tracked.length > 100, 'git lists the project files');
  // This file names the patterns it looks for; the vendored vectors' own docs are third-party text.
  const self = 'test/ops/self-contained.test.ts';
  const offenders = tracked
    .filter((f) => f !== self && !f.startsWith('conformance/vectors/') && existsSync(join(ROOT, f)))
    .filter((f) => /\.\.\/shared\b|SHARED_DIR/.test(readFileSync(join(ROOT, f), 'latin1')));
  t.same(offenders, [], 'files naming ../shared or SHARED_DIR');
});

t.test('the vendored vectors and tools are in the repository, with their sources', async (t) => {
  for (const f of ['SOURCES.md', 'pdu/mmsd', 'pdu/mms-engine', 'mm7/instantcom-mm7', 'push/kannel-ppg-capture']) {
    t.ok(
      tracked.some((p) => p.startsWith(`conformance/vectors/${f}`)),
      `conformance/vectors/${f} is tracked`,
    );
  }
  for (const f of ['mms2pcap.py', 'smpp_push_pcap.py'])
    t.ok(tracked.includes(`conformance/tools/${f}`), `conformance/tools/${f} is tracked`);
  t.match(readFileSync(join(VECTORS, 'SOURCES.md'), 'utf8'), /## Licences/, 'SOURCES.md has a note per upstream licence');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
  t.notOk(
    pkg.files.some((f) => f.startsWith('conformance')),
    'the vectors stay out of the npm package',
  );
});

// The allocator settings of src/ops/malloc.ts are what the shipped deployments set: the Dockerfile's runtime
// stage (compose and Kubernetes run that image) and the systemd unit. Checked on the files and on broken
// copies, so that the check itself can fail.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { MALLOC_ENV } from '../../src/ops/malloc.js';
import { ROOT } from '../helpers/paths.js';

const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

/** Names of MALLOC_ENV whose `NAME=value` is missing from the text (or has another value). */
function missing(text: string): string[] {
  return Object.entries(MALLOC_ENV)
    .filter(([name, value]) => !new RegExp(`(^|[\\s=])${name}=${value}(\\s|$)`, 'm').test(text))
    .map(([name]) => name);
}

t.test('the Dockerfile runtime stage sets the allocator environment', async (t) => {
  const file = read('deploy/Dockerfile');
  const runtime = file.slice(file.lastIndexOf('FROM '));
  t.same(
    missing(
      runtime
        .split('\n')
        .filter((l) => l.startsWith('ENV '))
        .join('\n'),
    ),
    [],
  );
  t.same(
    missing(runtime.replace('MALLOC_TRIM_THRESHOLD_=67108864', 'MALLOC_TRIM_THRESHOLD_=1')),
    ['MALLOC_TRIM_THRESHOLD_'],
    'a changed value is seen',
  );
  t.same(missing(file.slice(0, file.lastIndexOf('FROM '))), Object.keys(MALLOC_ENV), 'the build stage alone does not count');
});

t.test('the systemd unit sets the allocator environment', async (t) => {
  const unit = read('deploy/systemd/mmsc.service');
  t.same(
    missing(
      unit
        .split('\n')
        .filter((l) => l.startsWith('Environment='))
        .join('\n'),
    ),
    [],
  );
  t.same(missing(unit.replace(/^Environment=MALLOC.*$/m, '')), Object.keys(MALLOC_ENV), 'a unit without the line is seen');
});

// The README's main job, run as a user runs it: a real child process over the built packages.
// A smoke run of the demo's own length; it fails if the loss does not fall tenfold.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

t.test('the sine-wave demo trains an LSTM and its loss falls tenfold', async (t) => {
  const { stdout } = await promisify(execFile)('node', ['scripts/demo-sine.mjs', '--steps', '200'], {
    cwd: root,
    timeout: 120_000,
  });
  const match = /loss ([\d.]+) → ([\d.]+) in 200 steps/.exec(stdout);
  t.ok(match, `summary line present in:\n${stdout}`);
  if (!match) return;
  const [first, last] = [Number(match[1]), Number(match[2])];
  t.ok(last < first / 10, `loss fell from ${first} to ${last}`);
});

t.test('the demo rejects a bad --steps with a clear message and exit code 2', async (t) => {
  const failure = await promisify(execFile)('node', ['scripts/demo-sine.mjs', '--steps', 'zero'], {
    cwd: root,
    timeout: 60_000,
  }).then(
    () => null,
    (error: unknown) => error,
  );
  t.match(failure, { code: 2, stderr: /--steps must be a positive integer, got zero/ });
});

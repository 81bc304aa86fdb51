// The coordinator's and the node's garbage-collector marking (marking.ts): by default their
// process marks in one go (no incremental marking), with `incrementalMarking: true` V8's default
// stays. Each case runs in a process of its own (the flag is the whole process's), with
// --trace-gc, while memory outside the heap is allocated as a member's socket reads do.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { fixture } from './testing/children.js';

const run = promisify(execFile);

async function collections(spec: object): Promise<{ markCompacts: number; incremental: number }> {
  const { stdout } = await run(
    process.execPath,
    ['--trace-gc', fixture('marking-probe.mjs'), JSON.stringify(spec)],
    {
      env: { ...process.env, RECUR_TOKEN: 'marking-probe-token' },
      timeout: 60_000,
      maxBuffer: 16 << 20,
    },
  );
  const all = stdout.split('\n');
  if (!all.some((l) => l.includes('"done":true'))) throw new Error(`the probe did not finish:\n${stdout}`);
  const lines = all.slice(all.findIndex((l) => l.includes('"started":true'))); // after the start
  return {
    markCompacts: lines.filter((l) => l.includes('Mark-Compact')).length,
    incremental: lines.filter((l) => l.includes('incremental marking')).length,
  };
}

t.test('a coordinator turns incremental marking off for its process by default', async (t) => {
  const gc = await collections({});
  t.ok(gc.markCompacts > 0, `full collections ran (${gc.markCompacts})`);
  t.equal(gc.incremental, 0, 'none of them marked incrementally');
});

t.test('incrementalMarking: true leaves V8 marking incrementally', async (t) => {
  const gc = await collections({ incrementalMarking: true });
  t.ok(
    gc.incremental > 0,
    `incremental marking ran (${gc.incremental} of ${gc.markCompacts} full collections)`,
  );
});

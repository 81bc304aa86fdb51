// The run folder's lock (issue 16, defect 11): a second `recur train` into a folder that one is
// training into is refused with ERR_CLI_RUN_LOCKED; a lock left by a process that is gone is taken
// over; the lock goes away when the run ends, also when it is stopped by Ctrl-C.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { lockRunFolder } from './run/lock.js';
import { config, recur, tempFolder } from './testing/recur.js';

const smoke = (run: string) => ['train', config('seattle-temperature'), '--smoke', '--output', run];

t.test(
  'a second train into a folder in use is refused, and the lock goes when the first stops',
  async (t) => {
    const run = join(tempFolder('lock'), 'run');
    let second: Awaited<ReturnType<typeof recur>> | undefined;
    let asked = false;
    const first = await recur(
      [
        'train',
        config('seattle-temperature'),
        '--limit',
        '64',
        '--batch-size',
        '4',
        '--epochs',
        '100000',
        '--output',
        run,
      ],
      (stdout, child) => {
        if (asked || !/^epoch\s+1\/100000 /m.test(stdout)) return;
        asked = true;
        void recur(smoke(run)).then((ran) => {
          second = ran;
          child.kill('SIGINT');
        });
      },
    );
    t.ok(second, 'the second train ran while the first trained');
    t.equal(second?.code, 1, second?.stderr ?? '');
    t.match(
      second?.stderr,
      /^recur: ERR_CLI_RUN_LOCKED: .*run is in use by another recur train: process \d+ on .* has trained into it since /,
    );
    t.notMatch(second?.stdout, /parameters; training/, 'the second one trained nothing');
    t.equal(first.code, 130, first.stderr);
    t.notOk(existsSync(join(run, 'train.lock')), 'the lock is gone after Ctrl-C');
    const lines = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n');
    t.ok(
      lines.every((l, i) => JSON.parse(l).epoch === i),
      "metrics.jsonl is the first run's alone",
    );
  },
);

t.test("a stale lock (its process is gone) is taken over; another host's is not", async (t) => {
  const run = join(tempFolder('stale'), 'run');
  const gone = spawnSync(process.execPath, ['-e', '']).pid;
  const ran = await recur(smoke(run));
  t.equal(ran.code, 0, ran.stderr);
  writeFileSync(join(run, 'train.lock'), JSON.stringify({ pid: gone, host: hostname(), started: 'then' }));
  const again = await recur(smoke(run));
  t.equal(again.code, 0, again.stderr);
  t.match(again.stdout, new RegExp(`taking over the stale lock of process ${gone} \\(no longer running\\)`));
  t.notOk(existsSync(join(run, 'train.lock')), 'released at the end');
  writeFileSync(join(run, 'train.lock'), JSON.stringify({ pid: gone, host: 'elsewhere', started: 'then' }));
  const remote = await recur(smoke(run));
  t.equal(remote.code, 1);
  t.match(remote.stderr, /ERR_CLI_RUN_LOCKED: .*process \d+ on elsewhere .*hint: .*delete .*train\.lock/);
});

t.test('a lock naming this very process (a restarted container is pid 1 again) is stale', (t) => {
  const folder = tempFolder('own-pid');
  const mine = { pid: process.pid, host: hostname(), started: 'a former life of this pid' };
  writeFileSync(join(folder, 'train.lock'), JSON.stringify(mine));
  const lines: string[] = [];
  const release = lockRunFolder(folder, (line) => lines.push(line));
  t.match(lines.join('\n'), `taking over the stale lock of process ${process.pid}`);
  t.not(
    JSON.parse(readFileSync(join(folder, 'train.lock'), 'utf8')).started,
    mine.started,
    'the lock is ours now',
  );
  release();
  t.notOk(existsSync(join(folder, 'train.lock')), 'released');
  t.end();
});

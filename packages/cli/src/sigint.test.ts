// Ctrl-C during `recur train`: training stops after the current step with a checkpoint, the
// command exits 130 with one line saying where the checkpoint is, and --resume continues from it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { config, recur, tempFolder } from './testing/recur.js';

t.test('SIGINT stops after the current step, writes last.ckpt, and --resume finishes the run', async (t) => {
  const run = join(tempFolder('sigint'), 'run');
  const args = [
    'train',
    config('seattle-temperature'),
    '--limit',
    '64',
    '--batch-size',
    '4',
    '--output',
    run,
  ];
  let sent = false;
  const stopped = await recur([...args, '--epochs', '100000'], (stdout, child) => {
    if (!sent && /^epoch\s+1\/100000 /m.test(stdout)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  t.ok(sent, 'SIGINT was sent after the first epoch');
  t.equal(stopped.code, 130, `exit code 130 ${stopped.stderr}`);
  t.match(stopped.stdout, /stopping after the current step/);
  const match =
    /ERR_CLI_INTERRUPTED: stopped after step (\d+) of epoch (\d+); checkpoint written to .*last\.ckpt \(hint: resume with `recur train .*config\.json --resume`/.exec(
      stopped.stderr,
    );
  t.ok(match, `one line naming the checkpoint: ${stopped.stderr}`);
  t.ok(existsSync(join(run, 'last.ckpt')), 'last.ckpt written');
  t.ok(existsSync(join(run, 'best.ckpt')), 'best.ckpt from the finished epochs');
  t.notOk(existsSync(join(run, 'report.html')), 'no report for an unfinished run');
  const epochsDone = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').length;
  const epoch = Number(match?.[2] ?? 1);
  // finish the interrupted epoch (1-based `epoch`) and stop there
  const resumed = await recur(['train', join(run, 'config.json'), '--epochs', String(epoch), '--resume']);
  t.equal(resumed.code, 0, resumed.stderr);
  t.match(resumed.stdout, new RegExp(`resuming from .*last\\.ckpt at epoch ${epoch}, step ${match?.[1]}`));
  t.match(resumed.stdout, /^test MAE/m);
  const lines = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.equal(lines.length, epochsDone + 1, 'metrics.jsonl goes on where it stopped');
  t.equal(lines.at(-1).epoch, epoch - 1, 'the last line is the resumed epoch');
});

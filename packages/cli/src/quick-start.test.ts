// The README's quick start (`npm start` runs exactly this `recur train`): the Seattle temperature
// forecast trains end to end on the real data and beats the persistence baseline.
import { join } from 'node:path';
import t from 'tap';
import { config, recur, tempFolder } from './testing/recur.js';

t.test('the Seattle temperature example beats persistence', async (t) => {
  const ran = await recur([
    'train',
    config('seattle-temperature'),
    '--output',
    join(tempFolder('quick'), 'run'),
  ]);
  t.equal(ran.code, 0, ran.stderr);
  const match =
    /^test MAE ([\d.]+) vs persistence ([\d.]+): ([\d.]+)% better than persistence; training mean [\d.]+$/m.exec(
      ran.stdout,
    );
  t.ok(match, `the result line:\n${ran.stdout}`);
  t.ok(Number(match?.[1]) < Number(match?.[2]), 'lower MAE than persistence');
});

// Stateful training over long series (truncated BPTT): a stateful layer fed a sequence in
// consecutive chunks computes exactly what a plain layer computes on the whole sequence, and
// resetStates() starts it afresh.
import t from 'tap';
import { dense, gru, lstm, sequential } from './index.js';

const B = 3;
const CHUNK = 5;

function series(steps: number): Float32Array {
  const x = new Float32Array(B * steps);
  for (let b = 0; b < B; b++) for (let s = 0; s < steps; s++) x[b * steps + s] = Math.sin(0.3 * s + b);
  return x;
}

/** Sample b's steps [from, from + CHUNK) as a (B, CHUNK, 1) array. */
function chunk(x: Float32Array, steps: number, from: number) {
  const out = new Float32Array(B * CHUNK);
  for (let b = 0; b < B; b++) for (let s = 0; s < CHUNK; s++) out[b * CHUNK + s] = x[b * steps + from + s];
  return { data: out, shape: [B, CHUNK, 1] };
}

for (const cell of [lstm, gru]) {
  t.test(`a stateful ${cell.name} over chunks equals one pass over the whole series`, async (t) => {
    const steps = 3 * CHUNK;
    const x = series(steps);
    const whole = sequential([cell({ units: 4, returnSequences: true }), dense({ units: 1 })], {
      inputShape: [steps, 1],
      seed: 4,
    });
    const stateful = sequential(
      [cell({ units: 4, returnSequences: true, stateful: true }), dense({ units: 1 })],
      {
        inputShape: [CHUNK, 1],
        seed: 4,
      },
    );
    stateful.params.set(whole.params);
    const expected = await whole.predict({ data: x, shape: [B, steps, 1] }, { batchSize: B });
    for (let c = 0; c < 3; c++) {
      const got = await stateful.predict(chunk(x, steps, c * CHUNK), { batchSize: B });
      let worst = 0;
      for (let b = 0; b < B; b++) {
        for (let s = 0; s < CHUNK; s++)
          worst = Math.max(worst, Math.abs(got[b * CHUNK + s] - expected[b * steps + c * CHUNK + s]));
      }
      t.ok(worst < 1e-6, `chunk ${c}: worst difference ${worst}`);
    }
    stateful.resetStates();
    const again = await stateful.predict(chunk(x, steps, 0), { batchSize: B });
    t.equal(again[0], expected[0], 'after resetStates the first chunk is computed from zeros again');
  });
}

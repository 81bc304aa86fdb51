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

// ---- fit with stateful layers (shuffle false, a fixed batch size): batch k + 1 continues batch k ----

const K = 4; // chunks per series

/** Rows of batch k are chunk k of each series: row k·B + b = series b, steps [k·CHUNK, (k + 1)·CHUNK). */
function chunked(x: Float32Array, steps: number): Float32Array {
  const out = new Float32Array(K * B * CHUNK);
  for (let k = 0; k < K; k++)
    for (let b = 0; b < B; b++)
      for (let s = 0; s < CHUNK; s++) out[(k * B + b) * CHUNK + s] = x[b * steps + k * CHUNK + s];
  return out;
}

t.test(
  'fit with a stateful layer sees, batch by batch, the forward of one pass over the whole series',
  async (t) => {
    const steps = K * CHUNK;
    const x = series(steps);
    const y = x.map((v) => 0.5 * v + 0.1); // any per-step target
    const whole = sequential([lstm({ units: 4, returnSequences: true }), dense({ units: 1 })], {
      inputShape: [steps, 1],
      seed: 6,
    });
    const expected = await whole.predict({ data: x, shape: [B, steps, 1] });
    const chunkLoss = (k: number) => {
      let sum = 0;
      for (let b = 0; b < B; b++)
        for (let s = 0; s < CHUNK; s++)
          sum += (expected[b * steps + k * CHUNK + s] - y[b * steps + k * CHUNK + s]) ** 2;
      return sum / (B * CHUNK);
    };
    const lossesOf = async (stateful: boolean) => {
      const model = sequential([lstm({ units: 4, returnSequences: true, stateful }), dense({ units: 1 })], {
        inputShape: [CHUNK, 1],
        seed: 6,
      });
      model.params.set(whole.params);
      model.compile({ loss: 'mse', optimizer: { kind: 'sgd', lr: 0 } }); // lr 0: the weights stay
      const losses: number[] = [];
      await model.fit(
        { data: chunked(x, steps), shape: [K * B, CHUNK, 1] },
        { data: chunked(y, steps), shape: [K * B, CHUNK, 1] },
        { batchSize: B, shuffle: false, callbacks: { onBatchEnd: (_, logs) => void losses.push(logs.loss) } },
      );
      return losses;
    };
    const stateful = await lossesOf(true);
    const stateless = await lossesOf(false);
    t.equal(stateful.length, K);
    for (let k = 0; k < K; k++) {
      t.ok(Math.abs(stateful[k] - chunkLoss(k)) < 1e-6, `batch ${k}: ${stateful[k]} vs ${chunkLoss(k)}`);
    }
    t.equal(stateless[0], stateful[0], 'the first batch starts from zeros either way');
    for (let k = 1; k < K; k++) {
      t.ok(Math.abs(stateless[k] - chunkLoss(k)) > 1e-4, `batch ${k}: without state the loss differs`);
    }
  },
);

t.test('carrying state across batches lets a stateful layer learn what a stateless one cannot', async (t) => {
  // y_t = x_{t-1}, across chunk boundaries: at the first step of a chunk only the carried state
  // knows the previous chunk's last input.
  const steps = K * CHUNK;
  const x = new Float32Array(B * steps);
  for (let i = 0; i < x.length; i++) x[i] = ((Math.sin(i * 12.9898) * 43758.5453) % 1) * 1.6;
  const y = new Float32Array(B * steps);
  for (let b = 0; b < B; b++) for (let s = 1; s < steps; s++) y[b * steps + s] = x[b * steps + s - 1];
  const train = async (stateful: boolean) => {
    const model = sequential([gru({ units: 8, returnSequences: true, stateful }), dense({ units: 1 })], {
      inputShape: [CHUNK, 1],
      seed: 2,
    });
    model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.02 } });
    const history = await model.fit(
      { data: chunked(x, steps), shape: [K * B, CHUNK, 1] },
      { data: chunked(y, steps), shape: [K * B, CHUNK, 1] },
      { batchSize: B, shuffle: false, epochs: 150, callbacks: { onEpochEnd: () => model.resetStates() } },
    );
    return history.history.loss.at(-1) as number;
  };
  const withState = await train(true);
  const without = await train(false);
  t.ok(withState < 0.5 * without, `final loss with state ${withState}, without ${without}`);
});

// User-facing recurrent states (states.ts): an initial state set with model.setInitialState
// (Keras' initial_state, PyTorch's h0/c0) changes the output exactly as the cell equations and
// the kernels say, zeros equal the default, per-sample rows follow each sample's index through
// batching and shuffling; model.finalStates(i) after predict gives each sample's final (h, c),
// and feeding them back in continues a sequence exactly.
import { allocateLstmCache, kernelBackend, lstmForward } from '@recur/kernels';
import t from 'tap';
import type { Model } from './base-model.js';
import { bidirectional, dense, encoderDecoder, gru, lstm, sequential, simpleRNN } from './index.js';

const N = 5;
const T = 4;
const I = 3;
const H = 2;

/** Deterministic inputs (N, steps, I). */
function inputs(steps: number, n = N): Float32Array {
  const x = new Float32Array(n * steps * I);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(0.7 * i + 0.3) * 0.9;
  return x;
}

/** (N, H) rows, different per sample. */
function states(n = N, offset = 0): Float32Array {
  const s = new Float32Array(n * H);
  for (let i = 0; i < s.length; i++) s[i] = Math.cos(1.3 * i + offset) * 0.8;
  return s;
}

function view(model: Model, name: string): Float32Array {
  return model.layout.view(model.params, name);
}

function worstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

t.test('a simpleRNN initial state gives what the cell equations give, computed by hand', async (t) => {
  const model = sequential([simpleRNN({ units: H })], { inputShape: [T, I], seed: 3 });
  const x = inputs(T);
  const h0 = states();
  model.setInitialState(0, { h: { data: h0, shape: [N, H] } });
  const got = await model.predict({ data: x, shape: [N, T, I] }, { batchSize: 2 });
  const [wIh, wHh, bIh, bHh] = ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((n) =>
    view(model, `layers.0.${n}`),
  );
  for (let n = 0; n < N; n++) {
    let h = Array.from(h0.subarray(n * H, (n + 1) * H));
    for (let s = 0; s < T; s++) {
      h = h.map((_, j) => {
        let a = bIh[j] + bHh[j];
        for (let i = 0; i < I; i++) a += wIh[j * I + i] * x[(n * T + s) * I + i];
        for (let k = 0; k < H; k++) a += wHh[j * H + k] * h[k];
        return Math.tanh(a);
      });
    }
    for (let j = 0; j < H; j++) t.ok(Math.abs(got[n * H + j] - h[j]) < 1e-5, `sample ${n}, unit ${j}`);
  }
});

t.test('an lstm initial state (h and c) gives what lstmForward gives from that state', async (t) => {
  const model = sequential([lstm({ units: H })], { inputShape: [T, I], seed: 5 });
  const x = inputs(T);
  const h0 = states();
  const c0 = states(N, 2);
  model.setInitialState(0, { h: h0, c: c0 });
  const got = await model.predict({ data: x, shape: [N, T, I] }, { batchSize: N });
  const timeMajor = new Float32Array(x.length);
  for (let n = 0; n < N; n++)
    for (let s = 0; s < T; s++)
      for (let i = 0; i < I; i++) timeMajor[(s * N + n) * I + i] = x[(n * T + s) * I + i];
  const dims = { T, B: N, I, H, reverse: false, lengths: null };
  const hT = new Float32Array(N * H);
  const cT = new Float32Array(N * H);
  const weights = {
    wIh: view(model, 'layers.0.weight_ih'),
    wHh: view(model, 'layers.0.weight_hh'),
    bIh: view(model, 'layers.0.bias_ih'),
    bHh: view(model, 'layers.0.bias_hh'),
  };
  lstmForward(new Float32Array(T * N * H), hT, cT, allocateLstmCache(dims), timeMajor, h0, c0, weights, dims);
  // The model ran the active backend; the plain arrays here run the reference: equal on 'ts',
  // float32 rounding apart on 'wasm' (f32 SIMD exp and accumulation).
  const tolerance = kernelBackend().name === 'ts' ? 0 : 1e-6;
  t.ok(worstDifference(got, hT) <= tolerance, `the same numbers as the kernel (within ${tolerance})`);
  const final = model.finalStates(0);
  t.same(final.shape, [N, H]);
  t.ok(worstDifference(final.c as Float32Array, cT) <= tolerance, 'finalStates(0).c is the kernel cT');
  const plain = sequential([lstm({ units: H })], { inputShape: [T, I], seed: 5 });
  const zeros = await plain.predict({ data: x, shape: [N, T, I] });
  t.ok(worstDifference(got, zeros) > 1e-3, 'the state changes the output');
});

for (const cell of [simpleRNN, lstm, gru]) {
  t.test(
    `${cell.name}: a zero initial state equals the default; a broadcast row equals repeated rows`,
    async (t) => {
      const make = () =>
        sequential([cell({ units: H, returnSequences: true })], { inputShape: [T, I], seed: 7 });
      const x = { data: inputs(T), shape: [N, T, I] };
      const expected = await make().predict(x);
      const model = make();
      model.setInitialState(0, { h: new Float32Array(H), ...(cell === lstm ? { c: [0, 0] } : {}) });
      t.same(await model.predict(x), expected, 'zeros: bitwise the default');
      const row = [0.5, -0.25];
      model.setInitialState(0, { h: row });
      const broadcast = await model.predict(x, { batchSize: 2 });
      model.setInitialState(0, { h: { data: Array.from({ length: N }, () => row).flat(), shape: [N, H] } });
      t.same(await model.predict(x, { batchSize: 3 }), broadcast, 'one row for all = that row N times');
      t.not(worstDifference(broadcast, expected), 0, 'a non-zero state changes the outputs');
      model.setInitialState(0, null);
      t.same(await model.predict(x), expected, 'null clears it');
    },
  );
}

t.test('finalStates then setInitialState continues a sequence exactly (lstm and gru)', async (t) => {
  for (const cell of [lstm, gru]) {
    const x = inputs(2 * T);
    const whole = sequential([cell({ units: H }), dense({ units: 1 })], { inputShape: [2 * T, I], seed: 9 });
    const half = sequential([cell({ units: H }), dense({ units: 1 })], { inputShape: [T, I], seed: 9 });
    half.params.set(whole.params);
    const split = (part: number) => {
      const out = new Float32Array(N * T * I);
      for (let n = 0; n < N; n++)
        out.set(x.subarray((n * 2 * T + part * T) * I, (n * 2 * T + (part + 1) * T) * I), n * T * I);
      return { data: out, shape: [N, T, I] };
    };
    const expected = await whole.predict({ data: x, shape: [N, 2 * T, I] });
    await half.predict(split(0), { batchSize: 2 });
    const { h, c } = half.finalStates(0);
    half.setInitialState(0, cell === lstm ? { h, c: c as Float32Array } : { h });
    const got = await half.predict(split(1), { batchSize: 3 });
    t.ok(worstDifference(got, expected) < 1e-6, `${cell.name}: ${worstDifference(got, expected)}`);
  }
});

t.test('finalStates is each sample state at its last real step, for every layer', async (t) => {
  const model = sequential([gru({ units: H, returnSequences: true }), lstm({ units: 3 })], {
    inputShape: [T, I],
    seed: 2,
  });
  const lengths = [4, 2, 3, 1, 4];
  const x = { data: inputs(T), shape: [N, T, I], lengths };
  const out = await model.predict(x, { batchSize: 2 });
  const first = model.finalStates(0);
  const second = model.finalStates(1);
  t.same(first.shape, [N, H]);
  t.equal(first.c, undefined, 'a gru has no c');
  t.same(second.shape, [N, 3]);
  t.same(second.h, out, 'the last layer returns its final h');
  const sequence = sequential([gru({ units: H, returnSequences: true })], { inputShape: [T, I], seed: 2 });
  sequence.params.set(model.params.subarray(0, sequence.params.length));
  const ys = await sequence.predict(x);
  for (let n = 0; n < N; n++) {
    const last = ys.subarray((n * T + lengths[n] - 1) * H, (n * T + lengths[n]) * H);
    t.same(first.h.subarray(n * H, (n + 1) * H), last, `sample ${n}: the output at step ${lengths[n] - 1}`);
  }
  first.h.fill(9);
  t.not(model.finalStates(0).h[0], 9, 'finalStates returns copies');
});

t.test('bidirectional: the two directions have their own initial and final states', async (t) => {
  const make = () => sequential([bidirectional(lstm({ units: H }))], { inputShape: [T, I], seed: 4 });
  const x = { data: inputs(T), shape: [N, T, I] };
  const model = make();
  const out = await model.predict(x, { batchSize: 2 }); // (N, 2H): [forward h | backward h]
  const final = model.finalStates(0);
  for (let n = 0; n < N; n++) {
    t.same(final.h.subarray(n * H, (n + 1) * H), out.subarray(n * 2 * H, n * 2 * H + H));
    t.same(final.backward?.h.subarray(n * H, (n + 1) * H), out.subarray(n * 2 * H + H, (n + 1) * 2 * H));
  }
  model.setInitialState(0, { h: [0.3, -0.3], backward: { h: [0.1, 0.2], c: [0.5, 0.5] } });
  const started = await model.predict(x);
  for (let n = 0; n < N; n++) {
    t.not(started[n * 2 * H], out[n * 2 * H], `sample ${n}: forward half changed`);
    t.not(started[n * 2 * H + H], out[n * 2 * H + H], `sample ${n}: backward half changed`);
  }
  model.setInitialState(0, { h: [0.3, -0.3] });
  const forwardOnly = await model.predict(x);
  for (let n = 0; n < N; n++) {
    const back = (y: Float32Array) => y.subarray(n * 2 * H + H, (n + 1) * 2 * H);
    t.same(back(forwardOnly), back(out), `sample ${n}: backward starts from zeros when not given`);
  }
});

t.test('fit and evaluate read per-sample rows by sample index, also when shuffled', async (t) => {
  const model = sequential([lstm({ units: H }), dense({ units: 1 })], { inputShape: [T, I], seed: 6 });
  model.compile({ loss: 'mse', optimizer: { kind: 'sgd', lr: 0 } });
  const x = { data: inputs(T), shape: [N, T, I] };
  const y = { data: Float32Array.from({ length: N }, (_, n) => n / N), shape: [N, 1] };
  model.setInitialState(0, { h: states(), c: states(N, 1) });
  const out = await model.predict(x);
  let sum = 0;
  for (let n = 0; n < N; n++) sum += (out[n] - y.data[n]) ** 2;
  const evaluated = await model.evaluate(x, y, { batchSize: 2 });
  t.ok(Math.abs(evaluated.loss - sum / N) < 1e-6, 'evaluate in batches of 2 = the MSE of predict');
  const history = await model.fit(x, y, { batchSize: 2, shuffle: true, seed: 11 });
  t.ok(Math.abs(history.history.loss[0] - sum / N) < 1e-6, 'a shuffled fit (lr 0) sees the same losses');
  const plain = sequential([lstm({ units: H }), dense({ units: 1 })], { inputShape: [T, I], seed: 6 });
  plain.compile({ loss: 'mse' });
  t.not((await plain.evaluate(x, y)).loss, evaluated.loss, 'without the state the loss differs');
});

t.test('a stateful layer starts from the given state after resetStates', async (t) => {
  const x = { data: inputs(T), shape: [N, T, I] };
  const stateful = sequential([gru({ units: H, stateful: true })], { inputShape: [T, I], seed: 8 });
  const plain = sequential([gru({ units: H })], { inputShape: [T, I], seed: 8 });
  for (const m of [stateful, plain]) m.setInitialState(0, { h: states() });
  const expected = await plain.predict(x, { batchSize: N });
  t.same(await stateful.predict(x, { batchSize: N }), expected, 'the first batch starts from it');
  t.not((await stateful.predict(x, { batchSize: N }))[0], expected[0], 'the next carries the state on');
  stateful.resetStates();
  t.same(await stateful.predict(x, { batchSize: N }), expected, 'after resetStates: the given state again');
});

t.test('encoderDecoder: the encoder takes an initial state and reports its final state', async (t) => {
  const make = () =>
    encoderDecoder({ cell: 'lstm', units: H, inputShape: [T, I], outputSteps: 2, outputFeatures: 1 });
  const x = { data: inputs(T), shape: [N, T, I] };
  const model = make();
  const expected = await model.predict(x);
  model.setInitialState(0, { h: new Float32Array(H) });
  t.same(await model.predict(x), expected, 'zeros equal the default');
  model.setInitialState(0, { h: states(), c: states(N, 3) });
  t.not(worstDifference(await model.predict(x), expected), 0, 'a state changes the decoding');
  t.same(model.finalStates(0).shape, [N, H]);
  t.ok(model.finalStates(1).c instanceof Float32Array, "the decoder's final (h, c) too");
});

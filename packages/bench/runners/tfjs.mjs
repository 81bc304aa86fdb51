// One measurement of @tensorflow/tfjs (cpu or wasm backend) on one workload, in its own process
// so that its peak RSS is its own. Started by @recur/bench (src/measure.ts) as
//   node runners/tfjs.mjs '<spec as JSON>'
// with the peers installed under spec.peersDir. It trains last hidden → Dense(1), MSE, Adam 1e-3
// on the batch in spec.dataFile (float32: x [B, T, I] batch-major, then y [B, 1]), warm-up steps
// first, and prints one line `RECUR_BENCH_RESULT {json}` with the timed step times.
//
// Porting note: tfjs' LSTM defaults to recurrentActivation 'hardSigmoid'; set to 'sigmoid' here
// as in PyTorch and recur. tfjs' GRU has no reset_after option: it runs Keras' reset_after=False
// form (the same matrix work). The recurrent kernel starts glorotUniform instead of tfjs'
// orthogonal, whose QR takes tens of seconds in plain JS on these shapes (set-up, not timed).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const spec = JSON.parse(process.argv[2]);
const require = createRequire(join(spec.peersDir, 'package.json'));
const load = async (name) => import(pathToFileURL(require.resolve(name)).href);

// tfjs prints a hint about tfjs-node on load (console.warn); keep stdout for the result line.
const warn = console.warn;
console.warn = () => {};
const tf = await load('@tensorflow/tfjs');
console.warn = warn;
if (spec.system === 'tfjs-wasm') {
  await load('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
} else {
  await tf.setBackend('cpu');
}
await tf.ready();

const { batch: B, timesteps: T, features: I, hidden: H, cell } = spec.workload;
const raw = readFileSync(spec.dataFile);
const floats = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
const x = tf.tensor3d(floats.slice(0, B * T * I), [B, T, I]);
const y = tf.tensor2d(floats.slice(B * T * I, B * T * I + B), [B, 1]);

const cellOptions = {
  recurrentActivation: 'sigmoid',
  kernelInitializer: tf.initializers.glorotUniform({ seed: spec.seed }),
  recurrentInitializer: tf.initializers.glorotUniform({ seed: spec.seed + 1 }),
};
const model = tf.sequential();
const recurrent =
  cell === 'lstm'
    ? tf.layers.lstm({ units: H, inputShape: [T, I], ...cellOptions })
    : tf.layers.gru({ units: H, inputShape: [T, I], ...cellOptions });
model.add(recurrent);
model.add(tf.layers.dense({ units: 1 }));
model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });

let loss = 0;
const step = async () => {
  const t0 = performance.now();
  loss = Number(await model.trainOnBatch(x, y));
  return performance.now() - t0;
};
const warmupMs = [];
for (let i = 0; i < spec.warmup; i++) warmupMs.push(await step());
const stepMs = [];
for (let i = 0; i < spec.steps; i++) stepMs.push(await step());

const result = {
  stepMs,
  warmupMs,
  loss,
  maxRssKb: process.resourceUsage().maxRSS,
  detail: { backend: tf.getBackend(), version: tf.version.tfjs },
};
process.stdout.write(`RECUR_BENCH_RESULT ${JSON.stringify(result)}\n`);

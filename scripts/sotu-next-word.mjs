// SOTU next-word (the full measurement, not a test): the State of the Union corpus → word ids of a
// capped vocabulary → next-word windows made on the fly → a pack of shard sets → a streaming batch
// source → embedding → LSTM → dense over the vocabulary, trained with threads(W). Prints the test
// perplexity beside a unigram (add-one) and an interpolated bigram baseline (λ picked on the
// validation split, scored on the test split's same target words), and a few generated sentences.
//
//   TURBO_TELEMETRY_DISABLED=1 pnpm exec turbo run build --filter=@recur/examples --filter=@recur/parallel
//   node scripts/sotu-next-word.mjs [--epochs 2] [--units 128] [--embedding 64] [--steps 32]
//     [--batch 64] [--lr 0.003] [--vocab 10000] [--threads 2] [--max-tokens n] [--seed 1]
//     [--out <folder>] [--json]
//
// The pack goes to --out (default a fresh folder under os.tmpdir(), removed at the end).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { batchSource, bigramPerplexity, openPack, unigramPerplexity, writePack } from '@recur/data';
import { scoredIds, sotuNextWord } from '@recur/examples';
import { dense, embedding, evaluateSource, generate, lstm, sequential } from '@recur/nn';
import { threads } from '@recur/parallel';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '2' },
    units: { type: 'string', default: '128' },
    embedding: { type: 'string', default: '64' },
    steps: { type: 'string', default: '32' },
    batch: { type: 'string', default: '64' },
    lr: { type: 'string', default: '0.003' },
    vocab: { type: 'string', default: '10000' },
    threads: { type: 'string', default: '2' },
    'max-tokens': { type: 'string' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const n = (key) => Number(values[key]);
const seed = n('seed');
const T = n('steps');
const log = (line) => process.stderr.write(`${line}\n`);

/** Interpolated bigram perplexity with λ chosen on the validation ids. */
function bigramBaseline(task, validation, test, V) {
  let best = { lambda: 0, perplexity: Number.POSITIVE_INFINITY };
  for (const lambda of [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]) {
    const perplexity = bigramPerplexity(task.ids.train, validation, V, { lambda });
    if (perplexity < best.perplexity) best = { lambda, perplexity };
  }
  return {
    lambda: best.lambda,
    perplexity: bigramPerplexity(task.ids.train, test, V, { lambda: best.lambda }),
  };
}

function sentences(model, task) {
  const prompts = ['my fellow americans ,', 'the congress should', 'we will'];
  return prompts.map((prompt, i) => {
    const ids = generate(model, {
      prompt: Array.from(task.vocabulary.encode(task.tokenizer.tokenize(prompt))),
      steps: 24,
      temperature: 0.8,
      topK: 40,
      seed: seed + i,
    });
    return `${prompt} ${task.vocabulary.decode(ids).join(' ')}`;
  });
}

async function main() {
  const started = performance.now();
  const task = sotuNextWord({
    vocabularySize: n('vocab'),
    sequenceLength: T,
    ...(values['max-tokens'] === undefined ? {} : { maxTokens: n('max-tokens') }),
  });
  const V = task.vocabulary.size;
  const folder = values.out ?? mkdtempSync(join(tmpdir(), 'sotu-'));
  writePack(folder, task.windows, task.preprocessing, { samplesPerShard: 8192, overwrite: true });
  const prepared = performance.now();
  log(
    `${task.ids.train.length} / ${task.ids.validation.length} / ${task.ids.test.length} words, V = ${V}, packed in ${((prepared - started) / 1000).toFixed(1)} s`,
  );
  const validation = scoredIds(task.windows.validation, task.ids.validation);
  const test = scoredIds(task.windows.test, task.ids.test);
  const unigram = unigramPerplexity(task.ids.train, test.subarray(1), V);
  const bigram = bigramBaseline(task, validation, test, V);
  log(
    `test perplexity of the baselines: unigram ${unigram.toFixed(1)}, bigram (λ ${bigram.lambda}) ${bigram.perplexity.toFixed(1)}`,
  );
  const pack = await openPack(folder);
  const ppl = (split) =>
    Math.exp(evaluateSource(model, batchSource(pack[split], { seed, shuffle: false }), 256).loss);
  const model = sequential(
    [
      embedding({ inputDim: V, outputDim: n('embedding'), inputShape: [T] }),
      lstm({ units: n('units'), returnSequences: true }),
      dense({ units: V }),
    ],
    { seed },
  );
  model.compile({
    loss: 'sparseCategoricalCrossentropy',
    optimizer: { kind: 'adam', lr: n('lr') },
    clipNorm: 1,
  });
  const strategy = threads(n('threads'));
  let epochStart = performance.now();
  await model.fit(batchSource(pack.train, { seed }), {
    epochs: n('epochs'),
    batchSize: n('batch'),
    strategy,
    callbacks: {
      onBatchEnd: (batch, logs) => {
        if ((batch + 1) % 200 === 0) log(`  batch ${batch + 1}: loss ${logs.loss.toFixed(3)}`);
      },
      onEpochEnd: (epoch, logs) => {
        const s = (performance.now() - epochStart) / 1000;
        // No evaluation here: evaluating mid-fit with another batch size re-sizes the model's memory
        // and detaches it from the threads' arena (seen 2026-12-06; reported), so it runs after fit.
        log(`epoch ${epoch + 1}: train perplexity ${Math.exp(logs.loss).toFixed(1)} (${s.toFixed(0)} s)`);
        epochStart = performance.now();
      },
    },
  });
  await strategy.close?.();
  const trained = performance.now();
  const result = {
    words: task.ids.train.length + task.ids.validation.length + task.ids.test.length,
    vocabulary: V,
    settings: { ...values, json: undefined, out: undefined },
    trainSeconds: Math.round((trained - prepared) / 1000),
    perplexity: { validation: ppl('validation'), test: ppl('test') },
    unigram,
    bigram,
    sentences: sentences(model, task),
  };
  pack.close();
  if (values.out === undefined) rmSync(folder, { recursive: true, force: true });
  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(`SOTU next word: ${result.words} words, vocabulary ${V}, trained ${result.trainSeconds} s`);
  console.log(
    `test perplexity: LSTM ${result.perplexity.test.toFixed(1)} · bigram (λ ${result.bigram.lambda}) ${result.bigram.perplexity.toFixed(1)} · unigram ${result.unigram.toFixed(1)}`,
  );
  for (const s of result.sentences) console.log(`  ${s}`);
}

await main();

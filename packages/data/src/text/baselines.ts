// Count baselines for next-token models: what a language model's perplexity is compared with.
// Both are fitted on training ids and scored on other ids (validation or test) of the same
// vocabulary (V ids), in one pass each, in memory proportional to V plus the distinct bigrams.
//
//   unigram (add-k):        p(w) = (c(w) + k) / (N + k·V)
//   bigram (interpolated):  p(w | u) = λ·c(u, w)/c(u) + (1 − λ)·p_unigram(w)   (c(u) = 0: p_unigram)
//
// Perplexity = exp(−mean ln p) over the scored tokens: every token of `ids` for the unigram,
// every token after the first for the bigram (it needs the previous one). Natural logarithms, as
// a sparse categorical cross-entropy loss, so exp(loss) of a model is comparable.
import { DataErrorCode, fail } from '../errors.js';

export interface UnigramOptions {
  /** add-k smoothing; default 1 (Laplace); > 0 */
  k?: number;
}

export interface BigramOptions extends UnigramOptions {
  /** weight of the bigram estimate; default 0.7; in [0, 1] */
  lambda?: number;
}

function checkIds(ids: Int32Array, V: number, name: string): void {
  if (!(ids instanceof Int32Array)) fail(DataErrorCode.BAD_OPTION, `${name} must be an Int32Array of ids`);
  for (let i = 0; i < ids.length; i++) {
    if (!(ids[i] >= 0 && ids[i] < V)) {
      fail(DataErrorCode.BAD_OPTION, `${name}[${i}] is ${ids[i]}, outside the vocabulary [0, ${V})`);
    }
  }
}

function inRange(value: number | undefined, fallback: number, name: string, lo: number, hi: number): number {
  const v = value ?? fallback;
  if (!(typeof v === 'number' && v >= lo && v <= hi && (lo > 0 || v >= 0))) {
    fail(DataErrorCode.BAD_OPTION, `${name} must be a number in [${lo}, ${hi}], got ${value}`);
  }
  return v;
}

/** (V) add-k smoothed unigram probabilities of the training ids. */
function unigram(train: Int32Array, V: number, k: number): Float64Array {
  const p = new Float64Array(V);
  for (let i = 0; i < train.length; i++) p[train[i]]++;
  const total = train.length + k * V;
  for (let w = 0; w < V; w++) p[w] = (p[w] + k) / total;
  return p;
}

/** Checks the arguments and returns the add-k unigram model of `train`. */
function fitted(
  train: Int32Array,
  ids: Int32Array,
  V: number,
  least: number,
  k: number | undefined,
): Float64Array {
  if (!Number.isSafeInteger(V) || V < 1)
    fail(DataErrorCode.BAD_OPTION, `V must be a positive integer, got ${V}`);
  checkIds(train, V, 'train');
  checkIds(ids, V, 'ids');
  if (ids.length < least) fail(DataErrorCode.BAD_OPTION, `ids: need at least ${least} ids to score`);
  return unigram(train, V, inRange(k, 1, 'k', Number.MIN_VALUE, Number.MAX_VALUE));
}

/** Perplexity of `ids` under the add-k unigram model of `train` (vocabulary size V). */
export function unigramPerplexity(
  train: Int32Array,
  ids: Int32Array,
  V: number,
  options: UnigramOptions = {},
): number {
  const p = fitted(train, ids, V, 1, options.k);
  let nll = 0;
  for (let i = 0; i < ids.length; i++) nll -= Math.log(p[ids[i]]);
  return Math.exp(nll / ids.length);
}

/** Perplexity of `ids` (after the first) under the interpolated bigram model of `train`. */
export function bigramPerplexity(
  train: Int32Array,
  ids: Int32Array,
  V: number,
  options: BigramOptions = {},
): number {
  const lambda = inRange(options.lambda, 0.7, 'lambda', 0, 1);
  const p = fitted(train, ids, V, 2, options.k);
  const pairs = new Map<number, number>(); // u·V + w → count
  const from = new Float64Array(V); // c(u) as a first word
  for (let i = 1; i < train.length; i++) {
    const key = train[i - 1] * V + train[i];
    pairs.set(key, (pairs.get(key) ?? 0) + 1);
    from[train[i - 1]]++;
  }
  let nll = 0;
  for (let i = 1; i < ids.length; i++) {
    const u = ids[i - 1];
    const w = ids[i];
    const seen = from[u] > 0 ? (pairs.get(u * V + w) ?? 0) / from[u] : p[w];
    nll -= Math.log(lambda * seen + (1 - lambda) * p[w]);
  }
  return Math.exp(nll / (ids.length - 1));
}

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

/**
 * Unigram and bigram counts fitted one token at a time (a stream of windows need not be held):
 * `add(previous, w)` counts w, and the pair (previous, w) when previous ≥ 0. Memory: V numbers
 * twice plus one map entry per distinct pair (at most V², whatever the number of tokens).
 */
export class CountModel {
  private readonly counts: Float64Array; // (V) c(w)
  private readonly from: Float64Array; // (V) c(u) as a first word
  private readonly pairs = new Map<number, number>(); // u·V + w → c(u, w)
  private total = 0;
  private readonly k: number;

  constructor(
    readonly V: number,
    options: UnigramOptions = {},
  ) {
    if (!Number.isSafeInteger(V) || V < 1) {
      fail(DataErrorCode.BAD_OPTION, `V must be a positive integer, got ${V}`);
    }
    this.k = inRange(options.k, 1, 'k', Number.MIN_VALUE, Number.MAX_VALUE);
    this.counts = new Float64Array(V);
    this.from = new Float64Array(V);
  }

  /** Counts token w (an id in [0, V)), and the pair (previous, w) unless previous < 0. */
  add(previous: number, w: number): void {
    this.counts[w]++;
    this.total++;
    if (previous < 0) return;
    const key = previous * this.V + w;
    this.pairs.set(key, (this.pairs.get(key) ?? 0) + 1);
    this.from[previous]++;
  }

  /** The add-k unigram probability of w. */
  unigram(w: number): number {
    return (this.counts[w] + this.k) / (this.total + this.k * this.V);
  }

  /** The interpolated bigram probability λ·c(u, w)/c(u) + (1 − λ)·unigram(w) (c(u) = 0: unigram). */
  bigram(u: number, w: number, lambda: number): number {
    const p = this.unigram(w);
    const seen = this.from[u] > 0 ? (this.pairs.get(u * this.V + w) ?? 0) / this.from[u] : p;
    return lambda * seen + (1 - lambda) * p;
  }
}

/** Checks the arguments and returns the count model of `train` (pairs too when `pairs`). */
function fitted(
  train: Int32Array,
  ids: Int32Array,
  V: number,
  least: number,
  options: UnigramOptions & { pairs: boolean },
): CountModel {
  const model = new CountModel(V, options);
  checkIds(train, V, 'train');
  checkIds(ids, V, 'ids');
  if (ids.length < least) fail(DataErrorCode.BAD_OPTION, `ids: need at least ${least} ids to score`);
  for (let i = 0; i < train.length; i++) model.add(options.pairs && i > 0 ? train[i - 1] : -1, train[i]);
  return model;
}

/** Perplexity of `ids` under the add-k unigram model of `train` (vocabulary size V). */
export function unigramPerplexity(
  train: Int32Array,
  ids: Int32Array,
  V: number,
  options: UnigramOptions = {},
): number {
  const model = fitted(train, ids, V, 1, { ...options, pairs: false });
  let nll = 0;
  for (let i = 0; i < ids.length; i++) nll -= Math.log(model.unigram(ids[i]));
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
  const model = fitted(train, ids, V, 2, { ...options, pairs: true });
  let nll = 0;
  for (let i = 1; i < ids.length; i++) nll -= Math.log(model.bigram(ids[i - 1], ids[i], lambda));
  return Math.exp(nll / (ids.length - 1));
}

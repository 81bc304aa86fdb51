// Scoring class predictions: argmax over logits, accuracy, a confusion matrix.

/** The index of the largest of `width` values from `offset`. */
export function argmax(values: ArrayLike<number>, offset: number, width: number): number {
  let best = 0;
  for (let k = 1; k < width; k++) if (values[offset + k] > values[offset + best]) best = k;
  return best;
}

export class Confusion {
  readonly counts: number[][];
  correct = 0;
  total = 0;

  constructor(readonly classes: number) {
    this.counts = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  }

  add(actual: number, predicted: number): void {
    this.counts[actual][predicted]++;
    this.total++;
    if (actual === predicted) this.correct++;
  }

  get accuracy(): number {
    return this.total === 0 ? 0 : this.correct / this.total;
  }
}

/** The most frequent value of `counts` (the lowest index on ties). */
export function mostFrequent(counts: ArrayLike<number>): number {
  return argmax(counts, 0, counts.length);
}

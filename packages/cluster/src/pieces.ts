// A member's gradient in pieces (protocol version 2: Gradient.offset), as a node with
// bucketBytes sends it: each piece is a range [offset, offset + length) of the P sums, sent as
// soon as its layers' backward has ended (@recur/parallel's Note [bucketed sums]). The
// coordinator copies the pieces of the current step and attempt into a staging buffer of P
// floats, one per member for the whole run, and refuses a piece outside [0, P), one that
// overlaps an earlier piece of the step, or one whose count, loss sum, samples or precision
// differ from the first piece's. The member's gradient is complete when its pieces cover [0, P)
// exactly; the round then goes on as with a whole gradient. A gradient still incomplete at the
// step deadline counts as none (the member is evicted, saying so).
import type { Gradient } from '@recur/protocol';
import { ClusterErrorCode } from './errors.js';

/** A refusal: [code, message]. */
export type Refusal = [string, string];

/** Why a gradient's range [offset, offset + length) is not a range of the P sums, or null. */
export function rangeRefusal(g: Gradient, P: number): Refusal | null {
  const offset = g.offset ?? 0;
  const n = g.gradient.length;
  if (Number.isInteger(offset) && offset >= 0 && n >= 1 && offset + n <= P) return null;
  return [
    ClusterErrorCode.BAD_FRAME,
    `gradient for step ${g.step}: values [${offset}, ${offset + n}) are not a non-empty range of the ${P} parameters`,
  ];
}

/** Whether a gradient is one whole frame (offset 0, P values) rather than a piece. */
export const isWhole = (g: Gradient, P: number): boolean => (g.offset ?? 0) === 0 && g.gradient.length === P;

/** The fields every piece of one gradient must share. */
const SHARED = ['count', 'lossSum', 'samples', 'precision'] as const;

/** One member's staging buffer: the pieces of its gradient for the current step and attempt. */
export class PieceStaging {
  private readonly values: Float32Array; // (P)
  /** [start, end) of each piece of the round, to refuse overlaps */
  private readonly spans: [number, number][] = [];
  private covered = 0;
  private first: Gradient | null = null;

  constructor(private readonly P: number) {
    this.values = new Float32Array(P);
  }

  /** Values covered in the round of `g` so far (0 when its round is not the staged one). */
  coveredIn(step: number, attempt: number): number {
    return this.first !== null && this.first.step === step && this.first.attempt === attempt
      ? this.covered
      : 0;
  }

  /**
   * Adds piece `g` (its step and attempt are the round's, its range checked by rangeRefusal);
   * returns a refusal, or the whole gradient once the pieces cover [0, P), or null meanwhile.
   * The whole gradient's values are this staging's: valid until the member's next round.
   */
  add(g: Gradient): Refusal | Gradient | null {
    if (this.coveredIn(g.step, g.attempt) === 0) this.restart(g);
    const first = this.first as Gradient;
    const differs = SHARED.find((key) => g[key] !== first[key]);
    if (differs !== undefined) {
      return [
        ClusterErrorCode.BAD_COUNT,
        `gradient piece for step ${g.step}: ${differs} ${String(g[differs])} differs from the first piece's ${String(first[differs])}`,
      ];
    }
    const start = g.offset ?? 0;
    const end = start + g.gradient.length;
    const overlapped = this.spans.find(([s, e]) => start < e && s < end);
    if (overlapped !== undefined) {
      return [
        ClusterErrorCode.DUPLICATE_STEP,
        `gradient piece [${start}, ${end}) for step ${g.step} overlaps the piece [${overlapped[0]}, ${overlapped[1]}) already received`,
      ];
    }
    this.spans.push([start, end]);
    this.values.set(g.gradient, start);
    this.covered += end - start;
    if (this.covered < this.P) return null;
    return { ...first, offset: 0, gradient: this.values };
  }

  /** A new round: forget the pieces of the one before. */
  private restart(g: Gradient): void {
    this.first = g;
    this.spans.length = 0;
    this.covered = 0;
  }
}

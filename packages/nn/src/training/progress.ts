// An epoch in progress: what fit carries across a stop and a resume besides the position, so
// that a resumed epoch goes on exactly where it stopped — the batch size its position counts
// in (another one would skip or repeat samples) and the running loss sum and count (so the
// epoch's logged loss is the whole epoch's, not only the resumed steps'). Checkpoints keep it
// in their `extra` as `epoch`; loadModel restores it.
import type { Model } from '../base-model.js';
import { fail, NnErrorCode } from '../errors.js';

export interface EpochProgress {
  /** the batch size the position counts in */
  batchSize: number;
  /** the sum of the loss terms of the epoch's steps so far, and their count */
  lossSum: number;
  lossCount: number;
}

/**
 * The running loss sum and count a fit starting at `start` begins its first epoch with: the
 * saved ones when it resumes mid-epoch; ERR_NN_BAD_OPTION when it resumes mid-epoch with
 * another batch size than the one the position counts in.
 */
export function resumedLoss(
  model: Model,
  start: { epoch: number; position: number },
  batchSize: number,
): { sum: number; count: number } {
  const saved = model.epochProgress;
  if (start.position === 0 || saved === null) return { sum: 0, count: 0 };
  if (saved.batchSize !== batchSize) {
    fail(
      NnErrorCode.BAD_OPTION,
      `fit: resume: the checkpoint stopped after batch ${start.position} of epoch ${start.epoch + 1} with ` +
        `batchSize ${saved.batchSize}; this fit has batchSize ${batchSize}, which would skip or repeat ` +
        `samples of that epoch; resume with batchSize ${saved.batchSize} (another one is fine from an epoch's start)`,
    );
  }
  return { sum: saved.lossSum, count: saved.lossCount };
}

/** The `epoch` field of a checkpoint's extra, checked; null when the file has none. */
export function epochProgressFromJSON(value: unknown, source: string): EpochProgress | null {
  if (value === undefined || value === null) return null;
  const p = value as Partial<EpochProgress>;
  const ok =
    typeof value === 'object' &&
    Number.isSafeInteger(p.batchSize) &&
    (p.batchSize as number) > 0 &&
    Number.isFinite(p.lossSum) &&
    Number.isSafeInteger(p.lossCount) &&
    (p.lossCount as number) >= 0;
  if (!ok) {
    fail(
      NnErrorCode.BAD_CHECKPOINT,
      `${source}: extra.epoch is ${JSON.stringify(value)}, not { batchSize, lossSum, lossCount }`,
    );
  }
  return { batchSize: p.batchSize as number, lossSum: p.lossSum as number, lossCount: p.lossCount as number };
}

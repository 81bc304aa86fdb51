// The Keras callbacks a config asks for (training.earlyStopping, training.reduceLrOnPlateau), as
// @recur/nn makes them, and how a run that one of them stopped is told in the terminal, in
// results.json and in the report.
import { type Callback, earlyStopping, reduceLROnPlateau, type StopReason } from '@recur/nn';
import type { Config } from '../config/schema.js';

/**
 * The config's callbacks in the order Keras users list them (early stopping, then the plateau),
 * then `own` (the run's progress, metrics and best.ckpt), which so sees their decisions.
 */
export function withConfigCallbacks(config: Config, own: Callback): Callback[] {
  const t = config.training;
  const list: Callback[] = [];
  if (t.earlyStopping !== undefined) list.push(earlyStopping(t.earlyStopping));
  if (t.reduceLrOnPlateau !== undefined) list.push(reduceLROnPlateau(t.reduceLrOnPlateau));
  return [...list, own];
}

/** What results.json and the report say of an early stop: the 1-based epoch and the reason. */
export interface EarlyStop {
  /** the last epoch trained (1-based, as the terminal's epoch lines) */
  epoch: number;
  by: string;
  reason: string;
}

export function earlyStopOf(stopped: StopReason | null): EarlyStop | null {
  return stopped === null ? null : { epoch: stopped.epoch + 1, by: stopped.by, reason: stopped.reason };
}

/** "stopped early after epoch 7 of 50 (earlyStopping): val_loss did not improve …" */
export function formatEarlyStop(stop: EarlyStop, epochs: number): string {
  return `stopped early after epoch ${stop.epoch} of ${epochs} (${stop.by}): ${stop.reason}`;
}

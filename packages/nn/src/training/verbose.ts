// fit's `verbose` output, as Keras' ProgbarLogger: 0 prints nothing (the default), 1 a progress
// line per epoch on a terminal (rewritten in place as batches end, at most every
// VERBOSE_REFRESH_MS) and one line per epoch elsewhere, 2 one line per epoch. Notes of callbacks
// (early stopping, a lowered learning rate) follow the epoch's line. Written to `log` (default
// process.stdout), any object with write(text) and, for a terminal, isTTY true.
//
// A line: `Epoch 3/10 - 12/12 [==============================] - 1s 81ms/step - loss: 0.1234 -
// val_loss: 0.2345 - val_mae: 0.3456 - lr: 1.0000e-03` (the bar on a terminal with verbose 1).
// Porting note: Keras prints values above 1e-3 with 4 decimals and smaller ones as 4-digit
// exponents; so do we. Keras puts "Epoch k/N" on a line of its own; one line is easier to grep.
import type { Callback, FitRun, FitRunState, Logs } from './callbacks.js';

/** Where verbose output goes: process.stdout, a file stream, or anything with write(). */
export interface LogStream {
  write(text: string): unknown;
  /** true for a terminal: verbose 1 then rewrites its line as batches end */
  isTTY?: boolean;
}

/** Limit: the least time between two rewrites of the progress line (ms). */
export const VERBOSE_REFRESH_MS = 100;

const BAR_WIDTH = 30;

/** A value as Keras' progress bar prints it. */
export function formatLogValue(v: number): string {
  return Math.abs(v) > 1e-3 ? v.toFixed(4) : v.toExponential(4);
}

function formatLogs(logs: Logs): string {
  return Object.entries(logs)
    .map(([k, v]) => `${k}: ${formatLogValue(v)}`)
    .join(' - ');
}

function bar(done: number, total: number): string {
  const filled = Math.min(BAR_WIDTH, Math.floor((BAR_WIDTH * done) / total));
  const head = filled < BAR_WIDTH ? '>' : '';
  return `[${'='.repeat(Math.max(0, filled - head.length))}${head}${'.'.repeat(BAR_WIDTH - filled)}]`;
}

function duration(seconds: number): string {
  return seconds >= 60
    ? `${Math.floor(seconds / 60)}m ${Math.round(seconds % 60)}s`
    : `${Math.round(seconds)}s`;
}

/** The verbose output of fit as a callback; fit runs it after the user's callbacks. */
export function verboseLogger(level: 1 | 2, log: LogStream, batches: number, state: FitRunState): Callback {
  const live = level === 1 && log.isTTY === true;
  let started = 0;
  let lastDraw = 0;
  let lossSum = 0;
  let seen = 0;
  let open = false; // a progress line is on the terminal without its newline
  const head = (run: FitRun) => `Epoch ${run.epoch + 1}/${run.epochs}`;
  const flushNotes = () => {
    for (const note of state.notes.splice(0)) log.write(`${note}\n`);
  };
  return {
    onEpochBegin() {
      started = performance.now();
      lastDraw = 0;
      lossSum = 0;
      seen = 0;
    },
    onBatchEnd(batch, logs, run) {
      if (!live) return;
      lossSum += logs.loss;
      seen += 1;
      const now = performance.now();
      if (now - lastDraw < VERBOSE_REFRESH_MS || batch + 1 >= batches) return;
      lastDraw = now;
      const perBatch = (now - started) / 1000 / seen;
      const eta = duration(perBatch * (batches - batch - 1));
      const text = `${head(run)} - ${batch + 1}/${batches} ${bar(batch + 1, batches)} - ETA: ${eta} - loss: ${formatLogValue(lossSum / seen)} - lr: ${formatLogValue(run.lr())}`;
      log.write(`\r\x1b[K${text}`);
      open = true;
    },
    onEpochEnd(_epoch, logs, run) {
      const seconds = (performance.now() - started) / 1000;
      const perStep = `${Math.round((1000 * seconds) / Math.max(1, batches))}ms/step`;
      const progress = live ? ` - ${batches}/${batches} ${bar(batches, batches)}` : '';
      const text = `${head(run)}${progress} - ${duration(seconds)} ${perStep} - ${formatLogs(logs)}`;
      log.write(`${live ? '\r\x1b[K' : ''}${text}\n`);
      open = false;
      flushNotes();
    },
    onTrainEnd() {
      if (open) log.write('\n'); // stopped mid-epoch by the signal
      open = false;
      flushNotes();
    },
  };
}

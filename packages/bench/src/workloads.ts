// The standard workloads (BENCHMARKS.md in the team's shared folder): always the same shapes, so
// that figures compare across time. Dimension letters: B batch, T steps, I input width, H hidden
// width, G gate width (4H LSTM, 3H GRU).

export type Cell = 'lstm' | 'gru';

export interface Workload {
  name: string;
  cell: Cell;
  /** B: sequences per training step (a sample is one whole sequence) */
  batch: number;
  /** T */
  timesteps: number;
  /** I */
  features: number;
  /** H */
  hidden: number;
}

export const WORKLOADS: Readonly<Record<string, Workload>> = Object.freeze({
  'lstm-std': { name: 'lstm-std', cell: 'lstm', batch: 64, timesteps: 50, features: 32, hidden: 128 },
  'gru-std': { name: 'gru-std', cell: 'gru', batch: 64, timesteps: 50, features: 32, hidden: 128 },
  'lstm-big': { name: 'lstm-big', cell: 'lstm', batch: 256, timesteps: 100, features: 64, hidden: 256 },
});

export const WORKLOAD_NAMES = Object.keys(WORKLOADS);

/**
 * Matrix work of one training step, in FLOP: forward is 2·B·T·(I+H)·G, and a training step
 * (forward, backward, update) is counted as 3× that (BENCHMARKS.md). lstm-std: about 1.57 GFLOP.
 */
export function flopPerStep(w: Workload): number {
  const G = (w.cell === 'lstm' ? 4 : 3) * w.hidden;
  return 3 * 2 * w.batch * w.timesteps * (w.features + w.hidden) * G;
}

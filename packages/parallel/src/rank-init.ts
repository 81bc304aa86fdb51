// What the main thread hands each rank at start-up, and what a rank hands back when it ends.
// Everything here crosses the thread boundary by structured clone; the SharedArrayBuffers in
// it are shared, not copied.
import type { KernelBackendName, WasmMemory } from '@recur/kernels';
import type { CompileOptions, ModelConfig, RankRegion } from '@recur/nn';

/**
 * Test-only: make `rank` fail at its `step`-th step of the run (1-based), or ('slow') sleep
 * `ms` before computing each step from that one on.
 */
export interface FaultInjection {
  rank: number;
  step: number;
  /**
   * throw an error; exit the thread (process.exit in a worker); block far past every timeout;
   * be slow (balancing then moves its micro-batches to the other ranks)
   */
  fault: 'throw' | 'exit' | 'hang' | 'slow';
  /** 'slow': the sleep per step; default 50 ms */
  ms?: number;
}

export interface RankInit {
  rank: number;
  world: number;
  /** micro-batches per rank per optimizer step */
  accumulate: number;
  /** ranks take what is left of slower ranks' micro-batches (Note [balanced micro-batches]) */
  balance: boolean;
  /** model.config(): the worker rebuilds the model from it */
  config: ModelConfig;
  /** what the model was compiled with */
  compile: CompileOptions;
  /** SHA-256 of the main thread's layout; a worker whose rebuilt model differs refuses to start */
  layoutHash: string;
  /** the optimizer steps already taken (schedules and Adam's bias correction continue from it) */
  step: number;
  trainingSeed: number;
  /** the arena: parameters, W gradient slots, optimizer moments, then every rank's region */
  arena: SharedArrayBuffer;
  /**
   * The kernel memory (a shared WebAssembly.Memory) whose buffer `arena` is, when the model's
   * arena was made for the wasm kernel backend; the worker instantiates the kernels on it with
   * scratch slot 1 + rank and uses its buffer for every view. null: a plain SharedArrayBuffer.
   */
  kernelMemory: WasmMemory | null;
  /** the main thread's kernel backend: every rank runs the same one (useKernelBackend) */
  kernels: KernelBackendName;
  /** the byte at which the arena's core (parameters, slots, moments) starts */
  coreOffset: number;
  /** every rank's region, in rank order: its workspace, then its `accumulate` batch buffers */
  regions: RankRegion[];
  stateCount: number;
  /** the largest micro-batch (samples) */
  microBatch: number;
  hasLengths: boolean;
  /** the control block (control.ts) */
  control: SharedArrayBuffer;
  barrierTimeoutMs: number;
  idleTimeoutMs: number;
  inject: FaultInjection | null;
}

/** How a rank ended. A rank's task never rejects unless its thread died. */
export type RankOutcome =
  | { rank: number; ok: true }
  | { rank: number; ok: false; code: string | null; message: string; stack: string };

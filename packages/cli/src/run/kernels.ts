// The kernel backend a training run computes on (@recur/kernels: 'ts', 'wasm'; RECUR_KERNELS
// forces one) and the instruction set its hot kernels use, as the run's header, metrics.jsonl,
// results.json and report.html show it.
//
// Threads: the worker threads of threads(W) choose their backend the same way (the same
// RECUR_KERNELS, inherited, on the same runtime) and compute on the main thread's arena, which
// lies in a kernel memory exactly when the main thread runs 'wasm'; so what this thread uses is
// what every thread of the run uses, and `threads` says how many do.
import { kernelBackend } from '@recur/kernels';

export interface KernelsUsed {
  /** the backend's name: 'ts' | 'wasm' */
  backend: string;
  /** its instruction set: 'scalar' (ts) | 'simd128' (wasm) */
  isa: string;
  /** threads computing on it (training.threads; the workers use the same backend) */
  threads: number;
}

export function kernelsUsed(threads: number): KernelsUsed {
  const k = kernelBackend();
  return { backend: k.name, isa: k.isa, threads };
}

/** "wasm (simd128) on 1 thread", "ts (scalar) on 2 threads (the workers use the same backend)". */
export function describeKernels(k: KernelsUsed): string {
  const where = k.threads > 1 ? `${k.threads} threads (the workers use the same backend)` : '1 thread';
  return `${k.backend} (${k.isa}) on ${where}`;
}

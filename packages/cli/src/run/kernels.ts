// The kernel backend a training run computes on (@recur/kernels: 'native', 'wasm', 'ts';
// RECUR_KERNELS forces one) and the instruction set its hot kernels use, as the run's header, metrics.jsonl,
// results.json and report.html show it.
//
// Threads: @recur/parallel runs every rank on the main thread's backend, on the main thread's
// arena (in a kernel memory exactly when that backend is 'wasm'); so what this thread uses is
// what every thread of the run uses, and `threads` says how many do.
import { kernelBackend } from '@recur/kernels';

export interface KernelsUsed {
  /** the backend's name: 'native' | 'wasm' | 'ts' */
  backend: string;
  /** its instruction set: 'avx512' | 'avx2' | 'generic' (native), 'simd128' (wasm), 'scalar' (ts) */
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

// Coded errors of @recur/kernels. The kernels themselves never throw; these come from the
// backend boundary only: choosing a backend, loading the WebAssembly module, the wasm
// backend's check that every view lies in its memory, and every backend's argument checks
// (checks.ts for 'ts' and 'wasm', the native addon's args.h; README, "Error codes").

export const KernelsErrorCode = {
  /** RECUR_KERNELS or useKernelBackend() named no known backend, or one this runtime lacks */
  BAD_BACKEND: 'ERR_KERNELS_BAD_BACKEND',
  /** dist/kernels.wasm is missing or does not compile (build the package) */
  WASM_UNAVAILABLE: 'ERR_KERNELS_WASM_UNAVAILABLE',
  /** a view handed to the wasm backend does not lie in its WebAssembly.Memory */
  FOREIGN_VIEW: 'ERR_KERNELS_FOREIGN_VIEW',
  /** a view is shorter than the call's dimensions (and a gemm's leading dimension) need */
  VIEW_TOO_SHORT: 'ERR_KERNELS_VIEW_TOO_SHORT',
  /** a view of the wrong type, or a non-number / non-integer / non-boolean where a call needs one */
  BAD_ARGUMENT: 'ERR_KERNELS_BAD_ARGUMENT',
  /** a kernel memory was asked for with a size or thread count out of range */
  BAD_MEMORY: 'ERR_KERNELS_BAD_MEMORY',
} as const;

export type KernelsErrorCode = (typeof KernelsErrorCode)[keyof typeof KernelsErrorCode];

export class KernelsError extends Error {
  constructor(
    readonly code: KernelsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'KernelsError';
  }
}

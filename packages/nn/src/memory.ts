// A model's memory for training or inference: one arena holding the parameters (P), one
// gradient slot per rank (W × P), the optimizer's state buffers (P each), the batch buffers, and
// every layer's workspace, sized once for the largest batch (DESIGN.md, "The memory model").
// A step allocates nothing: layers keep views into this arena.
//
// Where the arena lives: in the caller's `backing` when given; else, when the kernel backend is
// 'wasm' (@recur/kernels' kernelBackend(), or `kernels: 'wasm'`), in a new kernel memory — a shared
// WebAssembly.Memory above the module's static data and one gemm scratch slot per thread (this
// one and each rank) — so that the layers' views run the SIMD kernels; else in a new ArrayBuffer
// (a SharedArrayBuffer with `shared`), where the TypeScript reference and the native backend
// (which takes views of any buffer) run.
//
// Kernel scratch: with the native backend every workspace (this thread's and each rank's) ends
// with a scratch region that kernelBackend().scratchPlan sized for the model's weight matrices;
// the model binds it at each forward (BaseModel.inputFlow), so the kernels' packed panels and
// weights live in the arena, one region per rank (Note [scratch in the arena] in @recur/kernels).
import {
  alignedOrigin,
  createKernelMemory,
  type KernelBackendName,
  kernelBackend,
  type MatrixShape,
  NO_SCRATCH,
  nativeKernels,
  type ScratchPlan,
} from '@recur/kernels';
import {
  Arena,
  alignUp,
  allocateInts,
  type BackingBuffer,
  type FloatAllocator,
  SizeCounter,
} from './arena.js';
import { fail, NnErrorCode } from './errors.js';
import type { Layer, ParamViews, ShapeSpec } from './layer.js';
import type { Layout } from './layout.js';

export interface MemoryPlan {
  layout: Layout;
  layers: readonly Layer[];
  /** the layers' parameter names, per layer, prefixed `layers.<i>.` in the layout */
  prefixes: readonly string[];
  input: ShapeSpec;
  output: ShapeSpec;
  maxBatch: number;
  /** gradient slots (threads: one per rank, more when @recur/parallel balances micro-batches) */
  world: number;
  /** optimizer state buffers */
  stateCount: number;
  /** the model's own buffers beyond its layers' (allocated after them) */
  extra?: (allocator: FloatAllocator, maxBatch: number) => void;
  /** each layer's weight matrices that kernel calls multiply by (sizes the kernels' scratch) */
  matrices: readonly (readonly MatrixShape[])[];
}

export interface ModelMemory {
  arena: Arena;
  maxBatch: number;
  stateCount: number;
  params: Float32Array; // (P)
  slots: Float32Array[]; // W × (P)
  state: Float32Array[]; // stateCount × (P)
  gradients: Float32Array; // (P) the slot this memory's layers write: slots[rank] (or past them)
  /** the workspaces of worker ranks that share this arena (threads); empty otherwise */
  rankRegions: RankRegion[];
  input: Float32Array; // (T, B, F) time-major input
  inputIds: Int32Array; // (T, B) time-major ids
  lengths: Int32Array; // (B)
  sampleIndex: Int32Array; // (B)
  target: Float32Array; // (T, B, O) time-major targets
  labels: Int32Array; // (T, B) time-major labels
  mask: Float32Array; // (T·B) 1 at real steps
  dOutput: Float32Array; // (T, B, O)
  /** (scratchPlan.floats) the kernels' scratch region of this workspace; empty when the backend needs none */
  scratch: Float32Array;
  scratchPlan: ScratchPlan;
}

const views = (layout: Layout, buffer: Float32Array, prefix: string): ParamViews => {
  const out: ParamViews = new Map();
  for (const row of layout.rows) {
    if (row.name.startsWith(prefix)) out.set(row.name.slice(prefix.length), layout.view(buffer, row.name));
  }
  return out;
};

/** Parameters, one gradient slot per rank and the optimizer state: the part every rank shares. */
export interface MemoryCore {
  params: Float32Array; // (P)
  slots: Float32Array[]; // W × (P)
  state: Float32Array[]; // stateCount × (P)
}

/**
 * The shared part, always first in an arena, so its offsets depend only on (P, W, stateCount):
 * every thread that runs the same allocations over the same buffer sees the same numbers.
 */
function allocateCore(plan: MemoryPlan, allocator: FloatAllocator): MemoryCore {
  const P = plan.layout.size;
  return {
    params: allocator.allocate(P),
    slots: Array.from({ length: plan.world }, () => allocator.allocate(P)),
    state: Array.from({ length: plan.stateCount }, () => allocator.allocate(P)),
  };
}

/**
 * One rank's workspace: batch copies, every layer's buffers and the kernels' scratch region,
 * bound to gradient slot `slot`.
 */
function allocateWorkspace(
  plan: MemoryPlan,
  allocator: FloatAllocator,
  core: MemoryCore,
  slot: number,
  scratchPlan: ScratchPlan,
): Omit<ModelMemory, 'arena' | 'rankRegions'> {
  const B = plan.maxBatch;
  const T = plan.input.steps ?? 1;
  const outT = plan.output.steps ?? 1;
  const gradients = core.slots[slot] ?? core.params;
  const memory = {
    maxBatch: B,
    stateCount: plan.stateCount,
    ...core,
    gradients,
    input: allocator.allocate(T * B * (plan.input.ids ? 0 : plan.input.features)),
    inputIds: allocateInts(allocator, plan.input.ids ? T * B : 0),
    lengths: allocateInts(allocator, B),
    sampleIndex: allocateInts(allocator, B),
    target: allocator.allocate(outT * B * plan.output.features),
    labels: allocateInts(allocator, outT * B),
    mask: allocator.allocate(outT * B),
    dOutput: allocator.allocate(outT * B * plan.output.features),
  };
  plan.layers.forEach((layer, i) => {
    const prefix = plan.prefixes[i];
    layer.bind(views(plan.layout, core.params, prefix), views(plan.layout, gradients, prefix), allocator, B);
  });
  plan.extra?.(allocator, B);
  return { ...memory, scratch: allocator.allocate(scratchPlan.floats), scratchPlan };
}

export interface CreateMemoryOptions {
  /** a SharedArrayBuffer backing, for threads (default false) */
  shared?: boolean;
  /**
   * Room after this thread's workspace for `count` more regions (one per worker rank): each a
   * workspace for batches of `maxBatch` samples followed by `extraBytes` for the rank's own use.
   */
  ranks?: { count: number; maxBatch: number; extraBytes: number };
  /**
   * The caller's backing memory (an ArrayBuffer, a SharedArrayBuffer or a shared
   * WebAssembly.Memory) and the first byte the arena may use; default a new buffer of the size.
   */
  backing?: { buffer: BackingBuffer; baseOffset?: number };
  /**
   * Which kernels the arena is made for when there is no `backing`: 'wasm' puts it in a kernel
   * memory (always shared), 'ts' and 'native' in a plain buffer. Default: the active backend's name.
   */
  kernels?: KernelBackendName;
}

/** Where one rank's region lies in the arena (bytes from the start of the buffer). */
export interface RankRegion {
  offset: number;
  /** the kernels' scratch at the end of its workspace (the creating thread's plan) */
  scratchPlan: ScratchPlan;
  /** the workspace's share; the rank's extra bytes follow it */
  workspaceBytes: number;
  bytes: number;
}

/**
 * Limit: the largest arena (parameters, gradients, optimizer state and the workspace for the
 * largest batch), 3 GiB, within what a WebAssembly memory holds; checked before allocating.
 */
export const MEMORY_MAX_BYTES = 3 * 2 ** 30;

/** ERR_NN_LIMIT_EXCEEDED when an arena of `bytes` for batches of `maxBatch` is over MEMORY_MAX_BYTES. */
export function checkMemoryBytes(bytes: number, maxBatch: number): void {
  if (bytes > MEMORY_MAX_BYTES) {
    fail(
      NnErrorCode.LIMIT_EXCEEDED,
      `training memory for batches of ${maxBatch} would be ${bytes.toLocaleString('en')} bytes, over ` +
        `MEMORY_MAX_BYTES (${MEMORY_MAX_BYTES.toLocaleString('en')}); use a smaller batch or model`,
    );
  }
}

/** The scratch the kernels named `kernels` need for the plan's matrices (none but native's). */
function scratchFor(plan: MemoryPlan, kernels: KernelBackendName): ScratchPlan {
  if (kernels !== 'native') return NO_SCRATCH;
  return nativeKernels().kernels?.scratchPlan(plan.matrices) ?? NO_SCRATCH;
}

/**
 * A layer's weight matrices that kernel calls multiply by, as (rows, cols): its 2-D parameters,
 * but not an embedding's table (only looked up). They size the kernels' scratch (MemoryPlan).
 */
export function weightMatrices(layer: Layer): MatrixShape[] {
  if (layer.kind === 'embedding') return [];
  return layer
    .paramRows()
    .filter((row) => row.shape.length === 2)
    .map((row) => [row.shape[0], row.shape[1]] as const);
}

/** The bytes a sequence of allocations takes from an aligned start. */
function measure(run: (counter: SizeCounter) => void): number {
  const counter = new SizeCounter();
  run(counter);
  return alignUp(counter.bytes);
}

/**
 * Sizes the arena with dry runs of the allocations, then makes them for real: the core, this
 * thread's workspace bound to slot 0, then the rank regions (empty until a rank attaches).
 */
export function createMemory(plan: MemoryPlan, options: CreateMemoryOptions = {}): ModelMemory {
  const kernels = options.kernels ?? kernelBackend().name;
  const scratchPlan = scratchFor(plan, kernels);
  const dryCore = allocateCore(plan, new SizeCounter());
  const coreBytes = measure((c) => allocateCore(plan, c));
  const ownBytes = measure((c) => allocateWorkspace(plan, c, dryCore, 0, scratchPlan));
  const ranks = options.ranks;
  const rankWorkspace =
    ranks === undefined
      ? 0
      : measure((c) => allocateWorkspace({ ...plan, maxBatch: ranks.maxBatch }, c, dryCore, 0, scratchPlan));
  const rankBytes = ranks === undefined ? 0 : rankWorkspace + alignUp(ranks.extraBytes);
  const rankRegions: RankRegion[] = Array.from({ length: ranks?.count ?? 0 }, (_, r) => ({
    offset: coreBytes + ownBytes + r * rankBytes,
    scratchPlan,
    workspaceBytes: rankWorkspace,
    bytes: rankBytes,
  }));
  const bytes = coreBytes + ownBytes + rankRegions.length * rankBytes;
  checkMemoryBytes(bytes, plan.maxBatch);
  const base = options.backing?.baseOffset ?? 0;
  let arena: Arena;
  if (options.backing !== undefined) arena = new Arena(options.backing.buffer, base, bytes);
  else if (kernels === 'wasm') {
    // One scratch slot for this thread and one per rank (a worker attaches with slot 1 + rank).
    const { memory, arenaOffset } = createKernelMemory(bytes, 1 + rankRegions.length);
    arena = new Arena(memory, arenaOffset, bytes);
  } else arena = Arena.create(bytes, options.shared ?? false, alignedOrigin);
  // A caller's buffer may hold anything; optimizer moments must start at zero.
  if (options.backing !== undefined) new Uint8Array(arena.buffer, base, bytes).fill(0);
  for (const region of rankRegions) region.offset += arena.base;
  return { arena, rankRegions, ...allocateWorkspace(plan, arena, allocateCore(plan, arena), 0, scratchPlan) };
}

/**
 * Another thread's view of an arena that createMemory made: the same core (from the arena's
 * `base` byte, same offsets), and the workspace of `region`, bound to gradient slot `slot`.
 * `plan.maxBatch` is the region's.
 */
export function attachMemory(
  plan: MemoryPlan,
  buffer: SharedArrayBuffer,
  coreOffset: number,
  region: RankRegion,
  slot: number,
): ModelMemory {
  const core = allocateCore(plan, new Arena(buffer, coreOffset));
  const arena = new Arena(buffer, region.offset, region.workspaceBytes);
  return { arena, rankRegions: [], ...allocateWorkspace(plan, arena, core, slot, region.scratchPlan) };
}

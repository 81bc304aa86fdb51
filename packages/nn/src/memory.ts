// A model's memory for training or inference: one arena holding the parameters (P), one
// gradient slot per rank (W × P), the optimizer's state buffers (P each), the batch buffers, and
// every layer's workspace, sized once for the largest batch (DESIGN.md, "The memory model").
// A step allocates nothing: layers keep views into this arena.
import { Arena, type FloatAllocator, SizeCounter } from './arena.js';
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
  /** gradient slots (threads) */
  world: number;
  /** optimizer state buffers */
  stateCount: number;
  /** the model's own buffers beyond its layers' (allocated after them) */
  extra?: (allocator: FloatAllocator, maxBatch: number) => void;
}

export interface ModelMemory {
  arena: Arena;
  maxBatch: number;
  stateCount: number;
  params: Float32Array; // (P)
  slots: Float32Array[]; // W × (P)
  state: Float32Array[]; // stateCount × (P)
  input: Float32Array; // (T, B, F) time-major input
  inputIds: Int32Array; // (T, B) time-major ids
  lengths: Int32Array; // (B)
  sampleIndex: Int32Array; // (B)
  target: Float32Array; // (T, B, O) time-major targets
  labels: Int32Array; // (T, B) time-major labels
  mask: Float32Array; // (T·B) 1 at real steps
  dOutput: Float32Array; // (T, B, O)
}

const views = (layout: Layout, buffer: Float32Array, prefix: string): ParamViews => {
  const out: ParamViews = new Map();
  for (const row of layout.rows) {
    if (row.name.startsWith(prefix)) out.set(row.name.slice(prefix.length), layout.view(buffer, row.name));
  }
  return out;
};

const ints = (allocator: FloatAllocator, n: number): Int32Array => {
  const f = allocator.allocate(n);
  // A SizeCounter's dry run hands out empty views.
  return f.length === n ? new Int32Array(f.buffer, f.byteOffset, n) : new Int32Array(0);
};

/** Runs every allocation of the plan against `allocator`, binding the layers (rank 0's slot). */
function allocateAll(plan: MemoryPlan, allocator: FloatAllocator): Omit<ModelMemory, 'arena'> {
  const P = plan.layout.size;
  const B = plan.maxBatch;
  const T = plan.input.steps ?? 1;
  const outT = plan.output.steps ?? 1;
  const params = allocator.allocate(P);
  const slots = Array.from({ length: plan.world }, () => allocator.allocate(P));
  const state = Array.from({ length: plan.stateCount }, () => allocator.allocate(P));
  const memory = {
    maxBatch: B,
    stateCount: plan.stateCount,
    params,
    slots,
    state,
    input: allocator.allocate(T * B * (plan.input.ids ? 0 : plan.input.features)),
    inputIds: ints(allocator, plan.input.ids ? T * B : 0),
    lengths: ints(allocator, B),
    sampleIndex: ints(allocator, B),
    target: allocator.allocate(outT * B * plan.output.features),
    labels: ints(allocator, outT * B),
    mask: allocator.allocate(outT * B),
    dOutput: allocator.allocate(outT * B * plan.output.features),
  };
  plan.layers.forEach((layer, i) => {
    const prefix = plan.prefixes[i];
    layer.bind(
      views(plan.layout, params, prefix),
      views(plan.layout, slots[0] ?? params, prefix),
      allocator,
      B,
    );
  });
  plan.extra?.(allocator, B);
  return memory;
}

/** Sizes the arena with a dry run of the allocations, then makes them for real. */
export function createMemory(plan: MemoryPlan, shared = false): ModelMemory {
  const counter = new SizeCounter();
  allocateAll(plan, counter);
  const arena = Arena.create(counter.bytes, shared);
  return { arena, ...allocateAll(plan, arena) };
}

// The few WebAssembly JavaScript-API types this package uses, and the runtime's WebAssembly object
// typed with them. Node has the API, but neither the ES2022 lib nor @types/node 20 declares it
// (only lib.dom does, which the packages do not load).
//
// Module-scoped on purpose: a `declare global { namespace WebAssembly … }` here would be shipped
// in dist/*.d.ts and collide with lib.dom's declarations in a consumer's program (TS2300
// Duplicate identifier 'Memory' with skipLibCheck: false). These are structural: a lib.dom
// `WebAssembly.Memory` is a `WasmMemory`.

export interface WasmMemoryDescriptor {
  initial: number;
  maximum?: number;
  shared?: boolean;
}

/** A WebAssembly.Memory, as far as this package uses one. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(delta: number): number;
}

/** A compiled WebAssembly.Module (opaque: it is instantiated or posted, never inspected). */
export type WasmModule = object;

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export interface WasmGlobal {
  value: unknown;
}

export interface WebAssemblyApi {
  Memory: new (descriptor: WasmMemoryDescriptor) => WasmMemory;
  Module: new (bytes: ArrayBufferView | ArrayBuffer) => WasmModule;
  Instance: new (module: WasmModule, imports?: Record<string, Record<string, unknown>>) => WasmInstance;
  validate(bytes: ArrayBufferView | ArrayBuffer): boolean;
}

/** The runtime's WebAssembly object, or undefined where it has none. */
export const webAssembly: WebAssemblyApi | undefined = (globalThis as { WebAssembly?: WebAssemblyApi })
  .WebAssembly;

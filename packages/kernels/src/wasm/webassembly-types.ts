// The few WebAssembly JavaScript-API types this package uses. Node has the API, but neither the
// ES2022 lib nor @types/node declares it (only lib.dom does, which the packages do not load).
// A global augmentation, so consumers of @recur/kernels' declarations see the same names.

declare global {
  namespace WebAssembly {
    interface MemoryDescriptor {
      initial: number;
      maximum?: number;
      shared?: boolean;
    }
    class Memory {
      constructor(descriptor: MemoryDescriptor);
      readonly buffer: ArrayBuffer | SharedArrayBuffer;
      grow(delta: number): number;
    }
    class Module {
      constructor(bytes: ArrayBufferView | ArrayBuffer);
    }
    class Instance {
      constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
      readonly exports: Record<string, unknown>;
    }
    class Global {
      value: unknown;
    }
    function validate(bytes: ArrayBufferView | ArrayBuffer): boolean;
  }
}

export {};

// The memory model (issue 3, DESIGN.md "The memory model"): a model's arena can lie in a buffer
// the caller supplies (ArrayBuffer, SharedArrayBuffer, shared WebAssembly.Memory) above a base
// offset, trains there exactly as in its own buffer, and a training step allocates nothing:
// the memory, its arena and every view stay the same objects over the same bytes. A caller's
// buffer is not a kernel memory, so it runs the TypeScript kernels: the reference here is the
// default arena made for them (`kernels: 'ts'`); backends.test.ts compares the two backends.

import { alignedOrigin, nativeAddon } from '@recur/kernels';
import t from 'tap';
import { dense } from './layers/dense.js';
import { lstm } from './layers/recurrent.js';
import { sequential } from './model.js';
import { sineNext } from './testing/tasks.js';

// TypeScript's ES2022 library has no WebAssembly types; Node has the real thing.
interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
}
const { Memory } = (
  globalThis as unknown as {
    WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory };
  }
).WebAssembly;

const T = 5;
const task = sineNext(24, T, 3);
const BATCH = 8;

function model() {
  const m = sequential([lstm({ units: 4 }), dense({ units: 1 })], { inputShape: [T, 1], seed: 9 });
  m.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.01 } });
  return m;
}

async function trained(backing?: {
  buffer: ArrayBuffer | SharedArrayBuffer | WasmMemory;
  baseOffset?: number;
}) {
  const m = model();
  const options = backing === undefined ? { kernels: 'ts' as const } : { backing };
  m.ensureMemory(BATCH, m.compiled?.optimizer.stateCount() ?? 0, 1, options);
  await m.fit(task.x, task.y, { epochs: 2, batchSize: BATCH, seed: 1 });
  return m;
}

t.test('a caller-supplied buffer above a base offset trains exactly as the default arena', async (t) => {
  const reference = (await trained()).params.slice();
  const dirty = new ArrayBuffer(1 << 20);
  new Uint8Array(dirty).fill(0xff); // garbage below and inside the arena: moments must start at 0
  const cases = [
    { name: 'ArrayBuffer at 128', backing: { buffer: dirty, baseOffset: 128 } },
    { name: 'SharedArrayBuffer at 0', backing: { buffer: new SharedArrayBuffer(1 << 20) } },
    {
      name: 'shared WebAssembly.Memory at 4096',
      backing: {
        buffer: new Memory({ initial: 16, maximum: 16, shared: true }),
        baseOffset: 4096,
      },
    },
  ];
  for (const c of cases) {
    const m = await trained(c.backing);
    const underlying = c.backing.buffer instanceof Memory ? c.backing.buffer.buffer : c.backing.buffer;
    t.equal(m.params.buffer, underlying, `${c.name}: params live in the caller's buffer`);
    t.ok(m.params.byteOffset >= (c.backing.baseOffset ?? 0), `${c.name}: above the base offset`);
    t.same(Array.from(m.params), Array.from(reference), `${c.name}: same parameters`);
  }
});

t.test('a buffer too small for the model is a coded error', async (t) => {
  const m = model();
  t.throws(() => m.ensureMemory(BATCH, 2, 1, { backing: { buffer: new ArrayBuffer(1024) } }), {
    code: 'ERR_NN_BAD_OPTION',
  });
  t.throws(
    () => m.ensureMemory(BATCH, 2, 1, { backing: { buffer: new ArrayBuffer(1 << 20), baseOffset: 102 } }),
    /multiple of 4/,
  );
});

t.test('a new arena starts at a line-aligned address, and its ranges are aligned from there', async (t) => {
  const m = model();
  const memory = m.ensureMemory(BATCH, 2, 1, { shared: true });
  const origin = alignedOrigin(memory.arena.buffer);
  t.equal(memory.arena.base, origin, 'the base is the aligned origin of its buffer');
  const native = nativeAddon();
  if (native.addon !== null) {
    const address = (x: Float32Array) => native.addon.addressMod64(x);
    t.equal(address(m.params), 0, 'the parameters start a cache line');
    t.ok(
      memory.slots.every((s) => address(s) === 0) && memory.state.every((s) => address(s) === 0),
      'so do the slots and the moments',
    );
    const plain = new SharedArrayBuffer(1 << 16);
    t.equal(
      (address(new Float32Array(plain)) + alignedOrigin(plain)) % 64,
      0,
      'alignedOrigin of any buffer is a line start',
    );
  } else t.equal(origin, 0, 'without the addon the origin is 0');
});

t.test('training steps allocate nothing: the memory and its views stay put', async (t) => {
  const m = model();
  const memory = m.ensureMemory(BATCH, m.compiled?.optimizer.stateCount() ?? 0);
  const used = memory.arena.used;
  const params = m.params;
  let sameEveryBatch = true;
  await m.fit(task.x, task.y, {
    epochs: 2,
    batchSize: BATCH,
    callbacks: {
      onBatchEnd: () => {
        sameEveryBatch &&= m.memory === memory && m.params === params && memory.arena.used === used;
      },
    },
  });
  t.ok(sameEveryBatch, 'one memory, one params view, no arena growth over every step');
});

// The reused send buffers (send-buffers.ts): a tensor frame's buffer is not reused while a send
// of it is being written or in the turn that encoded it, and is reused after; the frame it held
// then forgets its bytes (a later send encodes it again, correctly); at most
// POOLED_SEND_BUFFERS are kept, past that a frame gets a buffer of its own; wire.send hands ws
// the callback that releases the buffer.
import { decodeFrame, type Frame, maxFrameBytes } from '@recur/protocol';
import t from 'tap';
import { POOLED_SEND_BUFFERS, SendBuffers } from './send-buffers.js';
import { send } from './wire.js';

const P = 5000; // frames over 4 KiB: Buffer.allocUnsafe gives them memory of their own
const limits = { maxFrameBytes: maxFrameBytes(P), parameterCount: P };
const parameters = (step: number): Frame => ({
  kind: 'parameters',
  step,
  loss: step / 10,
  parameters: Float32Array.from({ length: P }, (_, i) => step * 1000 + i),
});
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const stepOf = (bytes: Uint8Array) => (decodeFrame(bytes, limits) as { step: number }).step;

t.test('a buffer is reused only once its sends are written and its turn has ended', async (t) => {
  const pool = new SendBuffers();
  const a = parameters(1);
  const bytesA = pool.bytes(a);
  const written = [pool.sending(bytesA), pool.sending(bytesA)]; // a broadcast to two peers
  t.equal(pool.bytes(a), bytesA, 'encoded once for both');
  await nextTurn();
  const bytesB = pool.bytes(parameters(2));
  t.not(bytesB.buffer, bytesA.buffer, 'a second buffer while the first is being written');
  t.equal(stepOf(bytesA), 1, 'the first frame is untouched');
  written[0]();
  await nextTurn();
  t.not(pool.bytes(parameters(3)).buffer, bytesA.buffer, 'one send still being written holds it');
  written[1]();
  await nextTurn();
  const bytesD = pool.bytes(parameters(4));
  t.equal(bytesD.buffer, bytesA.buffer, 'reused when both are written');
  t.equal(stepOf(bytesD), 4);
  const again = pool.bytes(a);
  t.not(again.buffer, bytesA.buffer, 'the first frame forgot its old bytes');
  const back = decodeFrame(again, limits) as Extract<Frame, { kind: 'parameters' }>;
  t.same([back.step, back.parameters[0], back.parameters[P - 1]], [1, 1000, 1000 + P - 1], 'right');
});

t.test(`at most ${POOLED_SEND_BUFFERS} pooled buffers; past that a frame gets its own`, async (t) => {
  const pool = new SendBuffers();
  const held = Array.from({ length: POOLED_SEND_BUFFERS + 2 }, (_, k) => {
    const bytes = pool.bytes(parameters(k + 1));
    pool.sending(bytes);
    return bytes;
  });
  t.equal(pool.size, POOLED_SEND_BUFFERS);
  t.equal(new Set(held.map((b) => b.buffer)).size, held.length, 'every frame in its own memory');
  t.same(
    held.map(stepOf),
    held.map((_, k) => k + 1),
    'each decodes to its own frame',
  );
});

t.test('a pool of its own for gradient pieces: best fit, up to its capacity', async (t) => {
  const pool = new SendBuffers(5);
  const piece = (offset: number, n: number): Frame => ({
    kind: 'gradient',
    step: 1,
    attempt: 0,
    count: 4,
    lossSum: 1,
    samples: 4,
    precision: 'fp32',
    gradient: new Float32Array(n).fill(offset),
    offset,
  });
  const sizes = [3000, 1000, 1000];
  const first = sizes.map((n, k) => {
    const bytes = pool.bytes(piece(k, n));
    return { bytes, written: pool.sending(bytes) };
  });
  t.equal(pool.size, 3, 'three pieces in flight: three buffers');
  for (const f of first) f.written();
  await nextTurn();
  const memory = new Set(first.map((f) => f.bytes.buffer));
  // the same pieces (a node's buckets are the same every step), encoded in another order
  const again = [2, 1, 0].map((k) => pool.bytes(piece(k, sizes[k])));
  t.ok(
    again.every((b) => memory.has(b.buffer)),
    'the next step reuses them: each piece the smallest free buffer that holds it',
  );
  t.equal(pool.size, 3);
  for (const b of again) pool.sending(b); // all three being written: a fourth piece grows the pool
  t.equal(pool.bytes(piece(3, 10)).byteLength > 0 && pool.size, 4, 'up to its capacity');
  t.same(
    again.map((b) => (decodeFrame(b, limits) as { offset: number }).offset),
    [2, 1, 0],
    'each decodes to its own piece',
  );
});

t.test('wire.send hands ws the callback that releases the buffer', async (t) => {
  const calls: Array<{ bytes: Uint8Array; done: () => void }> = [];
  const ws = {
    OPEN: 1,
    readyState: 1,
    send: (bytes: Uint8Array, _options: unknown, done: () => void) => calls.push({ bytes, done }),
  };
  const frame = parameters(7);
  send(ws as never, frame);
  send(ws as never, frame);
  t.equal(calls.length, 2);
  t.equal(calls[0].bytes, calls[1].bytes, 'one encoding for both sends');
  t.equal(stepOf(calls[0].bytes), 7);
  for (const c of calls) c.done();
  await nextTurn();
  send(ws as never, parameters(8));
  t.equal(calls[2].bytes.buffer, calls[0].bytes.buffer, 'the released buffer carries the next frame');
  t.equal(stepOf(calls[2].bytes), 8);
  ws.readyState = 3;
  send(ws as never, parameters(9));
  t.equal(calls.length, 3, 'a closed socket sends nothing');
});

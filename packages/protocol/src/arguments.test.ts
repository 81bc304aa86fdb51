// A program's mistakes in calling the codec are coded errors (ERR_PROTOCOL_BAD_ARGUMENT), not
// TypeErrors from inside it, and an unknown kind is refused at encode rather than sent as an
// empty frame for the receiver to refuse.
import t from 'tap';
import { allFinite, decodeFrame, encodeFrame, type Frame, maxFrameBytes } from './codec.js';
import { decodeHalves, encodeHalves } from './float16.js';

const BAD = { code: 'ERR_PROTOCOL_BAD_ARGUMENT' };
const limits = { maxFrameBytes: maxFrameBytes(4), parameterCount: 4 };

t.test('encodeFrame refuses what is not a Frame', async (t) => {
  t.throws(() => encodeFrame(null as never), BAD, 'null');
  t.throws(() => encodeFrame('heartbeat' as never), BAD, 'a string');
  t.throws(() => encodeFrame({ kind: 'zzz' } as never), { ...BAD, message: /kind 'zzz'/ }, 'an unknown kind');
  t.throws(() => encodeFrame({} as never), BAD, 'no kind');
  t.throws(
    () => encodeFrame({ kind: 'parameters', step: 1, parameters: [1, 2, 3, 4], loss: 0 } as never),
    { ...BAD, message: /parameters must be a Float32Array/ },
    'a tensor that is a plain array',
  );
  const frame: Frame = { kind: 'parameters', step: 1, parameters: new Float32Array(4), loss: 0 };
  t.throws(() => encodeFrame(frame, 'fresh' as never), BAD, 'an allocator that is not a function');
  t.same(decodeFrame(encodeFrame(frame), limits), frame, 'a right frame still round-trips');
});

t.test('decodeFrame refuses bytes and limits of the wrong kind', async (t) => {
  const bytes = encodeFrame({ kind: 'heartbeat' } as Frame);
  t.throws(() => decodeFrame(null as never, limits), BAD, 'null bytes');
  t.throws(() => decodeFrame([1, 2] as never, limits), BAD, 'an array of numbers');
  t.throws(() => decodeFrame(bytes, null as never), BAD, 'null limits');
  t.throws(() => decodeFrame(bytes, { maxFrameBytes: '9' } as never), BAD, 'a string limit');
  t.throws(() => decodeFrame(bytes, { maxFrameBytes: 100, parameterCount: 1.5 }), BAD, 'a fractional P');
  t.equal(decodeFrame(bytes, { maxFrameBytes: 100, parameterCount: null }).kind, 'heartbeat');
});

t.test('allFinite and the half conversions check their arguments', async (t) => {
  t.throws(() => allFinite(null as never), BAD);
  t.throws(() => allFinite([1, 2] as never), BAD);
  t.throws(() => encodeHalves(new Uint16Array(2), new Float32Array(3), 1), {
    ...BAD,
    message: /holds 2 values, 3/,
  });
  t.throws(() => encodeHalves(new Float32Array(2) as never, new Float32Array(2), 1), BAD);
  t.throws(() => decodeHalves(new Float32Array(2), new Uint16Array(2), '1' as never), BAD);
  const halves = new Uint16Array(2);
  encodeHalves(halves, Float32Array.of(1, -2), 0.5);
  const back = new Float32Array(3);
  decodeHalves(back, halves, 2);
  t.same(Array.from(back), [1, -2, 0], 'right arguments convert as before (out may be longer)');
});

// The native kernels the cluster installs into the protocol's seams. The fp16 conversions: the
// protocol's exhaustive float16 checks run against them, bit for bit against the protocol's
// JavaScript — every one of the 65,536 halves decoded, the values at and beside every tie
// encoded, and 2^22 float32 bit patterns of every class (NaNs with either sign, infinities,
// subnormals) — at each ISA the addon carries; a gradient frame in fp16 has the same bytes
// either way. The finiteness check: the same answer as the protocol's on windows of those
// patterns and on one bad value at every place of short arrays, and the same refusal of a frame.
// A thread whose backend is not native keeps the JavaScript functions.
import { readFileSync } from 'node:fs';
import { nativeAddon, nativeAllFinite, nativeHalfConversions, useKernelBackend } from '@recur/kernels';
import {
  decodeFrame,
  encodeFrame,
  type Frame,
  finiteCheck,
  fromHalf,
  halfConversions,
  maxFrameBytes,
} from '@recur/protocol';
import t from 'tap';
import { installProtocolKernels } from './halves.js';

const scripted = { ...halfConversions, ...finiteCheck };

/** Float32 values at and beside every 7th tie between two halves, and the edge cases. */
function tieValues(): Float32Array {
  const ties: number[] = [];
  for (let h = 0; h < 0x7bff; h += 7) {
    const mid = (fromHalf(h) + fromHalf(h + 1)) / 2;
    ties.push(mid, -mid, Math.fround(mid * (1 + 2 ** -23)), Math.fround(mid * (1 - 2 ** -23)));
  }
  ties.push(65504, 65519.996, 65520, 1e9, 2 ** -25, 2 ** -25 * 1.5, 2 ** -26, 0, -0);
  return Float32Array.from(ties);
}

/** 2^22 float32 bit patterns spread over the whole 32-bit space (every class of value). */
function bitPatterns(): Float32Array {
  const bits = new Uint32Array(1 << 22);
  for (let i = 0; i < bits.length; i++) bits[i] = (Math.imul(i, 0x9e3779b1) ^ (i << 10)) >>> 0;
  return new Float32Array(bits.buffer);
}

/** Indices where two equally long typed arrays differ as bits (NaN payloads included). */
function bitDifferences(a: Uint16Array | Float32Array, b: Uint16Array | Float32Array): number {
  const [x, y] = a instanceof Float32Array ? [new Uint32Array(a.buffer), new Uint32Array(b.buffer)] : [a, b];
  let wrong = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) wrong++;
  return wrong;
}

const cpu = readFileSync('/proc/cpuinfo', 'utf8');
const load = nativeAddon();
if (load.addon === null) {
  t.pass(`the native addon does not load here (${load.reason}); the protocol's conversions stay`);
} else {
  const addon = load.addon;
  const isas = [
    'generic',
    ...(/ avx2 /.test(cpu) ? ['avx2'] : []),
    ...(/ avx512f /.test(cpu) ? ['avx512'] : []),
  ];
  for (const isa of isas) {
    t.test(`[${isa}] the native conversions give the protocol's bits`, async (t) => {
      addon.selectIsa(isa);
      const native = nativeHalfConversions();
      if (native === null) throw new Error('the addon loaded, so its conversions must');
      const halves = Uint16Array.from({ length: 65536 + 11 }, (_, h) => h & 0xffff);
      for (const x of [tieValues(), bitPatterns()]) {
        for (const scale of [1, 1 / 3, 64, 2 ** -20]) {
          const [mine, theirs] = [new Uint16Array(x.length), new Uint16Array(x.length)];
          native.encode(mine, x, scale);
          scripted.encode(theirs, x, scale);
          t.equal(bitDifferences(mine, theirs), 0, `encode ${x.length} values, scale ${scale}`);
        }
      }
      for (const scale of [1, 1 / 3, 64, -0.5]) {
        const [mine, theirs] = [new Float32Array(halves.length), new Float32Array(halves.length)];
        native.decode(mine, halves, scale);
        scripted.decode(theirs, halves, scale);
        t.equal(bitDifferences(mine, theirs), 0, `decode all 65,536 halves, scale ${scale}`);
      }
      addon.selectIsa(load.isa);
    });
  }

  t.test("the native finiteness check gives the protocol's answers", async (t) => {
    const native = nativeAllFinite();
    if (native === null) throw new Error('the addon loaded, so its check must');
    const patterns = bitPatterns();
    let disagreements = 0;
    let refused = 0;
    for (let start = 0; start + 4096 <= patterns.length; start += 4093) {
      for (const length of [1, 7, 64, 4096]) {
        const window = patterns.subarray(start, start + length);
        const answer = scripted.allFinite(window);
        if (native(window) !== answer) disagreements++;
        if (!answer) refused++;
      }
    }
    t.equal(disagreements, 0, 'windows of 2^22 bit patterns');
    t.ok(refused > 0, 'some windows hold a non-finite value');
    const extremes = [3.4028234663852886e38, -3.4028234663852886e38, 1e-45, -0, 0];
    for (let n = 1; n <= 40; n++) {
      const x = Float32Array.from({ length: n }, (_, i) => extremes[i % extremes.length]);
      if (!native(x)) disagreements++;
      for (let at = 0; at < n; at++) {
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          const y = x.slice();
          y[at] = bad;
          if (native(y)) disagreements++;
        }
      }
    }
    t.equal(disagreements, 0, 'finite extremes pass; NaN and ±Infinity at every place of 1–40 values fail');
    t.ok(native(new Float32Array(0)), 'an empty array is finite');
  });

  t.test('installed on a native thread: an fp16 frame has the same bytes and values', async (t) => {
    t.equal(installProtocolKernels(), 'native');
    t.not(halfConversions.encode, scripted.encode, 'the seam holds the native encode');
    t.not(finiteCheck.allFinite, scripted.allFinite, 'and the native finiteness check');
    const gradient = Float32Array.from({ length: 1001 }, (_, i) => Math.sin(i) * 100);
    const frame: Frame = {
      kind: 'gradient',
      step: 3,
      count: 8,
      lossSum: 1,
      samples: 8,
      precision: 'fp16',
      attempt: 1,
      gradient,
    };
    const limits = { maxFrameBytes: maxFrameBytes(gradient.length), parameterCount: gradient.length };
    const nativeBytes = encodeFrame(frame);
    const nativeBack = decodeFrame(nativeBytes, limits);
    Object.assign(halfConversions, scripted);
    const jsBytes = encodeFrame(frame);
    t.same(Buffer.from(nativeBytes), Buffer.from(jsBytes), 'the same bytes on the wire');
    t.same(decodeFrame(jsBytes, limits), nativeBack, 'the same frame decoded');
    const bad = encodeFrame({
      ...frame,
      precision: 'fp32',
      gradient: gradient.map((v, i) => (i === 999 ? Infinity : v)),
    });
    t.equal(installProtocolKernels(), 'native');
    t.throws(
      () => decodeFrame(bad, limits),
      { code: 'ERR_PROTOCOL_NON_FINITE' },
      'a non-finite tensor refused',
    );
    Object.assign(finiteCheck, { allFinite: scripted.allFinite });
    t.throws(
      () => decodeFrame(bad, limits),
      { code: 'ERR_PROTOCOL_NON_FINITE' },
      'as the protocol refuses it',
    );
  });

  t.test('a thread whose backend is not native keeps the protocol conversions', async (t) => {
    useKernelBackend('ts');
    t.equal(installProtocolKernels(), 'js');
    t.equal(halfConversions.encode, scripted.encode);
    t.equal(halfConversions.decode, scripted.decode);
    t.equal(finiteCheck.allFinite, scripted.allFinite);
    useKernelBackend('auto');
  });
}

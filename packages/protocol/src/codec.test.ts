// The codec (issue 6): every message round-trips; the frame limit is checked before parsing
// (a frame one byte over it is refused); truncated and garbage bytes, a wrong version, bad
// hashes and counts, a wrong tensor length and NaN values each get their coded refusal; fp16
// gradients carry sum / count and come back as sums; a fuzz run of random and mutated frames
// never ends in anything but a ProtocolError. Frames with a tensor put it at a multiple of 4
// (decoded as a view, no copy) and frames of a plain protobuf encoder still decode the same.

import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import t, { type Test } from 'tap';
import {
  allFinite,
  decodeFrame,
  encodeFrame,
  type Frame,
  maxFrameBytes,
  PROTOCOL_LIMITS,
  PROTOCOL_VERSION,
} from './codec.js';
import { ProtocolError } from './errors.js';
import { decodeHalves, encodeHalves, fromHalf, toHalf } from './float16.js';

const P = 10;
const limits = { maxFrameBytes: maxFrameBytes(P), parameterCount: P };
const hash = 'ab'.repeat(32);
const values = Float32Array.from({ length: P }, (_, i) => i - 4.5);

const samples: Frame[] = [
  {
    kind: 'join',
    protocolVersion: PROTOCOL_VERSION,
    token: 's3cret',
    nodeId: 'node-1',
    threads: 2,
    layoutHash: hash,
    dataHash: hash,
    runHash: hash,
  },
  {
    kind: 'welcome',
    rank: 1,
    world: 2,
    modelConfig: '{"kind":"sequential"}',
    compile: '{"loss":"mse"}',
    step: 7,
    parameters: values,
    batchSize: 64,
    seed: 3,
  },
  {
    kind: 'assignment',
    step: 8,
    epoch: 1,
    batchIndex: 2,
    partOffset: 1,
    partTotal: 3,
    rangeStart: 10,
    rangeEnd: 20,
    attempt: 0,
  },
  {
    kind: 'gradient',
    step: 8,
    count: 12,
    lossSum: 3.25,
    samples: 12,
    precision: 'fp32',
    attempt: 1,
    gradient: values,
    offset: 0,
  },
  { kind: 'parameters', step: 8, parameters: values, loss: 0.5 },
  { kind: 'heartbeat', sentMs: 1234.5 },
  { kind: 'leave', reason: 'done' },
  { kind: 'error', code: 'ERR_PROTOCOL_MALFORMED', message: 'bad' },
  { kind: 'end', step: 100, reason: 'finished' },
  { kind: 'status', json: '{}' },
];

const plain = (f: Frame) =>
  JSON.parse(JSON.stringify(f, (_, v) => (v instanceof Float32Array ? Array.from(v) : v)));

t.test('every message round-trips', (t) => {
  for (const frame of samples)
    t.same(plain(decodeFrame(encodeFrame(frame), limits)), plain(frame), frame.kind);
  t.end();
});

const bytesOf = (x: Float32Array) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);

t.test('a tensor starts at a multiple of 4: decoded as a view of the frame, not a copy', (t) => {
  const tensorFrames = samples.filter(
    (f) => f.kind === 'welcome' || f.kind === 'parameters' || f.kind === 'gradient',
  );
  let checked = 0;
  for (const n of [1, 10, 31, 83_073, 600_000]) {
    const x = Float32Array.from({ length: n }, (_, i) => i - 7.25);
    const l = { maxFrameBytes: maxFrameBytes(n), parameterCount: n };
    for (const step of [1, 200, 70_000, 2 ** 31]) {
      for (const frame of tensorFrames) {
        const precisions = frame.kind === 'gradient' ? (['fp32', 'fp16'] as const) : ([undefined] as const);
        for (const precision of precisions) {
          const f = { ...frame, step, ...(precision ? { precision } : {}) } as Frame;
          if (f.kind === 'gradient') f.gradient = x;
          else if (f.kind === 'welcome' || f.kind === 'parameters') f.parameters = x;
          const bytes = Uint8Array.from(encodeFrame(f)); // a buffer of its own, offset 0
          const back = decodeFrame(bytes, l);
          const tensor =
            back.kind === 'gradient' ? back.gradient : (back as { parameters: Float32Array }).parameters;
          const what = `${f.kind} ${precision ?? ''} n ${n} step ${step}`;
          if (precision !== 'fp16' && tensor.buffer !== bytes.buffer) t.fail(`${what}: a copy`);
          const { gradient: _, parameters: __, ...fields } = { ...back, parameters: 0, gradient: 0 };
          const { gradient: ___, parameters: ____, ...sent } = { ...f, parameters: 0, gradient: 0 };
          t.same(fields, sent, `${what}: the other fields`);
          if (precision !== 'fp16' && Buffer.compare(bytesOf(tensor), bytesOf(x)) !== 0)
            t.fail(`${what}: values`);
          checked++;
        }
      }
    }
  }
  t.equal(checked, 5 * 4 * 4, 'every size, step and tensor frame');
  t.end();
});

t.test('frames of a plain protobuf encoder (fields in number order, no pad) decode the same', (t) => {
  const proto = readFileSync(new URL('../recur.proto', import.meta.url), 'utf8');
  const Frame = protobuf.parse(proto).root.lookupType('recur.Frame');
  for (const frame of samples) {
    const { kind, ...fields } = frame as Frame & Record<string, unknown>;
    const body: Record<string, unknown> = { ...fields };
    if (frame.kind === 'gradient') Object.assign(body, { precision: 0, gradient: bytesOf(frame.gradient) });
    if (frame.kind === 'welcome' || frame.kind === 'parameters') body.parameters = bytesOf(frame.parameters);
    const bytes = Frame.encode(Frame.fromObject({ [kind]: body })).finish();
    t.same(plain(decodeFrame(bytes, limits)), plain(frame), frame.kind);
  }
  t.end();
});

const refused = (t: Test, bytes: Uint8Array, code: string, message?: RegExp, l = limits) =>
  t.throws(() => decodeFrame(bytes, l), { name: 'ProtocolError', code, ...(message ? { message } : {}) });

t.test('the frame limit: at the limit decodes, one byte over is refused before parsing', (t) => {
  const frame = encodeFrame({ kind: 'status', json: 'x'.repeat(100) });
  t.doesNotThrow(() => decodeFrame(frame, { maxFrameBytes: frame.byteLength, parameterCount: P }));
  refused(t, frame, 'ERR_PROTOCOL_FRAME_TOO_LARGE', /exceeds the limit/, {
    maxFrameBytes: frame.byteLength - 1,
    parameterCount: P,
  });
  t.equal(maxFrameBytes(1000), 4000 + PROTOCOL_LIMITS.frameOverheadBytes, 'derived from the layout size');
  t.end();
});

t.test('truncated, garbage and empty frames', (t) => {
  const good = encodeFrame(samples[3]);
  refused(t, good.subarray(0, good.length - 3), 'ERR_PROTOCOL_MALFORMED');
  refused(t, new Uint8Array([0xff, 0xff, 0xff, 0xff]), 'ERR_PROTOCOL_MALFORMED');
  refused(t, new Uint8Array(0), 'ERR_PROTOCOL_UNEXPECTED', /empty frame/);
  t.end();
});

t.test('join: version, token, node id, threads and hashes are checked', (t) => {
  const join = samples[0] as Extract<Frame, { kind: 'join' }>;
  const bad = (change: Partial<typeof join>, code: string, message: RegExp) =>
    refused(t, encodeFrame({ ...join, ...change }), code, message);
  bad({ protocolVersion: 1 }, 'ERR_PROTOCOL_VERSION', /version 1 is not 2/);
  bad(
    { token: 'x'.repeat(PROTOCOL_LIMITS.maxTokenBytes + 1) },
    'ERR_PROTOCOL_BAD_FIELD',
    /token is longer than 1024/,
  );
  t.doesNotThrow(() =>
    decodeFrame(encodeFrame({ ...join, token: 'x'.repeat(PROTOCOL_LIMITS.maxTokenBytes) }), limits),
  );
  bad({ nodeId: 'a b' }, 'ERR_PROTOCOL_BAD_FIELD', /nodeId/);
  bad({ nodeId: 'n'.repeat(PROTOCOL_LIMITS.maxNodeIdLength + 1) }, 'ERR_PROTOCOL_BAD_FIELD', /nodeId/);
  bad({ threads: 0 }, 'ERR_PROTOCOL_BAD_FIELD', /threads must be in \[1, 256\]/);
  bad({ threads: PROTOCOL_LIMITS.maxThreads + 1 }, 'ERR_PROTOCOL_BAD_FIELD', /threads/);
  bad({ layoutHash: 'abc' }, 'ERR_PROTOCOL_BAD_FIELD', /layoutHash must be 64/);
  bad({ dataHash: hash.toUpperCase() }, 'ERR_PROTOCOL_BAD_FIELD', /dataHash/);
  bad({ runHash: '' }, 'ERR_PROTOCOL_BAD_FIELD', /runHash must be 64/);
  t.end();
});

t.test('gradients: wrong length, NaN, infinite numbers, negative count', (t) => {
  const g = samples[3] as Extract<Frame, { kind: 'gradient' }>;
  refused(
    t,
    encodeFrame({ ...g, gradient: new Float32Array(P + 1) }),
    'ERR_PROTOCOL_BAD_LENGTH',
    /has 11 values from offset 0; the layout has 10/,
  );
  const nan = values.slice();
  nan[3] = Number.NaN;
  refused(t, encodeFrame({ ...g, gradient: nan }), 'ERR_PROTOCOL_NON_FINITE', /gradient\[3\] is NaN/);
  refused(t, encodeFrame({ ...g, lossSum: Number.POSITIVE_INFINITY }), 'ERR_PROTOCOL_NON_FINITE', /lossSum/);
  refused(t, encodeFrame({ ...g, count: -1 }), 'ERR_PROTOCOL_BAD_FIELD', /count must not be negative/);
  refused(
    t,
    encodeFrame({ kind: 'parameters', step: 1, loss: 0, parameters: new Float32Array(P + 1) }),
    'ERR_PROTOCOL_BAD_LENGTH',
  );
  t.end();
});

t.test('assignments: parts and ranges in range', (t) => {
  const a = samples[2] as Extract<Frame, { kind: 'assignment' }>;
  refused(t, encodeFrame({ ...a, partOffset: 3 }), 'ERR_PROTOCOL_BAD_FIELD', /offset 3 of 3/);
  refused(t, encodeFrame({ ...a, rangeEnd: 5 }), 'ERR_PROTOCOL_BAD_FIELD', /ends before/);
  refused(t, encodeFrame({ ...a, step: 0 }), 'ERR_PROTOCOL_BAD_FIELD', /at least 1/);
  t.end();
});

t.test('fp16 gradients: half the bytes, sums back within half precision', (t) => {
  const g = { ...(samples[3] as Extract<Frame, { kind: 'gradient' }>), precision: 'fp16' as const, count: 8 };
  const sums = Float32Array.from({ length: P }, (_, i) => (i - 3) * 37.5);
  const fp16 = encodeFrame({ ...g, gradient: sums });
  const fp32 = encodeFrame({ ...g, precision: 'fp32', gradient: sums });
  t.ok(fp16.byteLength < fp32.byteLength - P, 'smaller on the wire');
  const back = decodeFrame(fp16, limits) as Extract<Frame, { kind: 'gradient' }>;
  t.equal(back.precision, 'fp16');
  back.gradient.forEach((v, i) => {
    if (Math.abs(v - sums[i]) > 1e-3 * Math.abs(sums[i]) + 1e-6) t.fail(`value ${i}: ${v} vs ${sums[i]}`);
  });
  t.pass('every value within float16 rounding');
  t.end();
});

t.test('float16 conversion: exact values, rounding to even, overflow, subnormals', (t) => {
  for (const v of [0, 1, -2, 0.5, 65504, 2 ** -14, 2 ** -24, 1025])
    t.equal(fromHalf(toHalf(v)), v, `${v} is exact`);
  t.equal(fromHalf(toHalf(2049)), 2048, 'halfway between two halves: the even one');
  t.equal(fromHalf(toHalf(1 + 2 ** -11)), 1, 'a tie rounds to even (down)');
  t.equal(fromHalf(toHalf(1 + 3 * 2 ** -11)), 1 + 2 ** -9, 'a tie rounds to even (up)');
  t.equal(fromHalf(toHalf(70000)), Number.POSITIVE_INFINITY, 'past 65504: infinity');
  t.ok(Number.isNaN(fromHalf(toHalf(Number.NaN))), 'NaN stays NaN');
  t.equal(fromHalf(toHalf(2 ** -26)), 0, 'below the smallest subnormal: 0');
  t.end();
});

t.test('float16 arrays: every half round-trips, and the array conversions equal the scalar ones', (t) => {
  // every half: its value is exact in float32 and converts back to the same bits (NaNs stay NaN)
  const halves = Uint16Array.from({ length: 65536 }, (_, h) => h);
  const values = new Float32Array(65536);
  decodeHalves(values, halves, 1);
  let wrong = 0;
  for (let h = 0; h < 65536; h++) {
    const nan = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
    if (nan ? !Number.isNaN(values[h]) : values[h] !== fromHalf(h) || toHalf(values[h]) !== h) wrong++;
  }
  t.equal(wrong, 0, 'all 65,536 halves');
  // float32 values at and beside every tie between two halves (normal and subnormal), scaled
  const ties: number[] = [];
  for (let h = 0; h < 0x7bff; h += 7) {
    const mid = (fromHalf(h) + fromHalf(h + 1)) / 2;
    ties.push(mid, -mid, Math.fround(mid * (1 + 2 ** -23)), Math.fround(mid * (1 - 2 ** -23)));
  }
  ties.push(65504, 65519.996, 65520, 1e9, 2 ** -25, 2 ** -25 * 1.5, 2 ** -26, 0, -0);
  const x = Float32Array.from(ties);
  for (const scale of [1, 1 / 3, 64]) {
    const out = new Uint16Array(x.length);
    encodeHalves(out, x, scale);
    const scalar = out.every((h, i) => h === toHalf(x[i] * scale));
    t.ok(scalar, `encodeHalves = toHalf elementwise, scale ${scale.toFixed(3)}`);
    const back = new Float32Array(x.length);
    decodeHalves(back, out, 1 / scale);
    t.ok(
      back.every((v, i) => Object.is(v, Math.fround(fromHalf(out[i]) * (1 / scale)))),
      'decodeHalves = fromHalf · scale',
    );
  }
  t.equal(toHalf(1 + 2 ** -11), 0x3c00, 'a normal tie to even, as bits');
  t.equal(toHalf(2 ** -24 * 1.5), 0x0002, 'a subnormal tie to even (up)');
  t.equal(toHalf(2 ** -24 * 2.5), 0x0002, 'a subnormal tie to even (down)');
  t.equal(toHalf(65520), 0x7c00, '65520 rounds to infinity');
  t.end();
});

t.test(
  'allFinite: Infinity, -Infinity and NaN anywhere; the largest, subnormal and signed zero values pass',
  (t) => {
    const base = Float32Array.from([3.4028234663852886e38, -3.4028234663852886e38, 1e-45, -0, 0, 1]);
    t.ok(allFinite(base), 'finite extremes');
    for (const bad of [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN]) {
      for (const at of [0, 3, 5]) {
        const x = base.slice();
        x[at] = bad;
        t.notOk(allFinite(x), `${bad} at ${at}`);
      }
    }
    const wide = new Float32Array(10);
    wide[9] = Number.NaN;
    t.ok(allFinite(wide.subarray(1, 9)), 'a view sees only its own values');
    t.notOk(allFinite(wide.subarray(1)), 'and all of them');
    t.end();
  },
);

t.test('fuzz: random and mutated bytes give a frame or a ProtocolError, never anything else', (t) => {
  let state = 12345;
  const random = () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const encoded = samples.map((f) => encodeFrame(f));
  let frames = 0;
  let refusals = 0;
  for (let i = 0; i < 20_000; i++) {
    let bytes: Uint8Array;
    if (i % 2 === 0) {
      bytes = Uint8Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256));
    } else {
      bytes = encoded[i % encoded.length].slice();
      for (let k = 0; k < 1 + Math.floor(random() * 4); k++)
        bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      if (random() < 0.3) bytes = bytes.subarray(0, Math.floor(random() * bytes.length));
    }
    try {
      decodeFrame(bytes, limits);
      frames++;
    } catch (error) {
      if (!(error instanceof ProtocolError)) {
        t.fail(
          `input ${Buffer.from(bytes).toString('hex')} threw ${(error as Error).name}: ${(error as Error).message}`,
        );
        break;
      }
      refusals++;
    }
  }
  t.ok(refusals > 1000 && frames > 0, `${frames} decoded, ${refusals} refused`);
  t.end();
});

t.test('gradient pieces: an offset and fewer values; the same values as the whole frame', (t) => {
  const g = samples[3] as Extract<Frame, { kind: 'gradient' }>;
  for (const precision of ['fp32', 'fp16'] as const) {
    const whole = decodeFrame(encodeFrame({ ...g, precision }), limits) as Extract<
      Frame,
      { kind: 'gradient' }
    >;
    for (const [offset, n] of [
      [0, 4],
      [4, 3],
      [7, 3],
      [9, 1],
    ]) {
      const piece = { ...g, precision, offset, gradient: values.subarray(offset, offset + n) };
      const back = decodeFrame(Uint8Array.from(encodeFrame(piece)), limits) as Extract<
        Frame,
        { kind: 'gradient' }
      >;
      t.equal(back.offset, offset, `${precision} [${offset}, ${offset + n}): offset`);
      t.same(
        Array.from(back.gradient),
        Array.from(whole.gradient.subarray(offset, offset + n)),
        `${precision} [${offset}, ${offset + n}): bit for bit the whole frame's values`,
      );
      t.same({ ...back, gradient: 0 }, { ...piece, gradient: 0 }, `${precision}: the other fields`);
    }
  }
  t.end();
});

t.test('gradient pieces past P or empty are refused (ERR_PROTOCOL_BAD_LENGTH)', (t) => {
  const g = samples[3] as Extract<Frame, { kind: 'gradient' }>;
  for (const precision of ['fp32', 'fp16'] as const) {
    const piece = (offset: number, n: number) =>
      encodeFrame({ ...g, precision, offset, gradient: values.subarray(0, n) });
    refused(t, piece(7, 4), 'ERR_PROTOCOL_BAD_LENGTH', /has 4 values from offset 7; the layout has 10/);
    refused(t, piece(10, 1), 'ERR_PROTOCOL_BAD_LENGTH', /from offset 10/);
    refused(t, piece(2 ** 32 - 1, 1), 'ERR_PROTOCOL_BAD_LENGTH');
    refused(t, piece(3, 0), 'ERR_PROTOCOL_BAD_LENGTH', /has 0 values/);
    t.doesNotThrow(() => decodeFrame(piece(6, 4), limits), `${precision}: up to P is fine`);
  }
  t.end();
});

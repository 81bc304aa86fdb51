// Fused per-step gate math of the recurrent kernels, f32x4 over the hidden units, for `rows`
// consecutive batch rows of one step (the TypeScript wrapper splits a step into runs of real,
// unpadded rows). Pointers are byte offsets into the module's memory; the formulas, buffers and
// shapes are those of the reference cells in src/cells/ (lstm-, gru-, rnn-cell.ts), where each
// pointer here is the buffer's first row in use:
//   gates, dGates (rows, G) · states hT, cT, dh, dc (rows, H) · step rows y, tanhC, cPrev,
//   hPrev, hn, dy (rows, H) · hProj (rows, 3H). G = 4H (LSTM), 3H (GRU), H (SimpleRNN).
// dy = 0 means "no output gradient" (the reference's null). Columns past the last multiple of 4
// run through the same vector code one lane at a time, so every unit gets the same arithmetic.
// Porting note: gate order LSTM i, f, g, o and GRU r, z, n with the reset gate after the
// recurrent product (PyTorch's nn.LSTM / nn.GRU), as the reference.
import { sigmoidV, tanhV } from './math';

@inline
function ld(p: usize, j: i32): v128 {
  return v128.load(p + <usize>j * 4);
}

@inline
function st(p: usize, j: i32, v: v128): void {
  v128.store(p + <usize>j * 4, v);
}

@inline
function ld1(p: usize, j: i32): v128 {
  return f32x4.splat(load<f32>(p + <usize>j * 4));
}

@inline
function st1(p: usize, j: i32, v: v128): void {
  store<f32>(p + <usize>j * 4, f32x4.extract_lane(v, 0));
}

@inline
function lstmForwardUnits(
  g: usize,
  c: usize,
  h: usize,
  y: usize,
  tc: usize,
  j: i32,
  H: i32,
  lanes: i32,
): void {
  const i = sigmoidV(lanes === 4 ? ld(g, j) : ld1(g, j));
  const f = sigmoidV(lanes === 4 ? ld(g, H + j) : ld1(g, H + j));
  const gg = tanhV(lanes === 4 ? ld(g, 2 * H + j) : ld1(g, 2 * H + j));
  const o = sigmoidV(lanes === 4 ? ld(g, 3 * H + j) : ld1(g, 3 * H + j));
  const cPrev = lanes === 4 ? ld(c, j) : ld1(c, j);
  const cNew = f32x4.add(f32x4.mul(f, cPrev), f32x4.mul(i, gg));
  const t = tanhV(cNew);
  const hNew = f32x4.mul(o, t);
  if (lanes === 4) {
    st(g, j, i);
    st(g, H + j, f);
    st(g, 2 * H + j, gg);
    st(g, 3 * H + j, o);
    st(c, j, cNew);
    st(tc, j, t);
    st(h, j, hNew);
    st(y, j, hNew);
  } else {
    st1(g, j, i);
    st1(g, H + j, f);
    st1(g, 2 * H + j, gg);
    st1(g, 3 * H + j, o);
    st1(c, j, cNew);
    st1(tc, j, t);
    st1(h, j, hNew);
    st1(y, j, hNew);
  }
}

/** LSTM step: activates gates (rows, 4H) in place; cT, hT (rows, H) updated; y, tanhC written. */
export function lstmCellForward(gates: usize, cT: usize, hT: usize, y: usize, tanhC: usize, rows: i32, H: i32): void {
  const H4 = H & ~3;
  for (let b = 0; b < rows; b++) {
    const g = gates + <usize>(b * 4 * H) * 4;
    const s = <usize>(b * H) * 4;
    for (let j = 0; j < H4; j += 4) lstmForwardUnits(g, cT + s, hT + s, y + s, tanhC + s, j, H, 4);
    for (let j = H4; j < H; j++) lstmForwardUnits(g, cT + s, hT + s, y + s, tanhC + s, j, H, 1);
  }
}

@inline
function lstmBackwardUnits(
  dg: usize,
  dh: usize,
  dc: usize,
  g: usize,
  cp: usize,
  tc: usize,
  dy: usize,
  j: i32,
  H: i32,
  lanes: i32,
): void {
  const one = f32x4.splat(1);
  const four = lanes === 4;
  const i = four ? ld(g, j) : ld1(g, j);
  const f = four ? ld(g, H + j) : ld1(g, H + j);
  const gg = four ? ld(g, 2 * H + j) : ld1(g, 2 * H + j);
  const o = four ? ld(g, 3 * H + j) : ld1(g, 3 * H + j);
  const t = four ? ld(tc, j) : ld1(tc, j);
  let dhTotal = four ? ld(dh, j) : ld1(dh, j);
  if (dy !== 0) dhTotal = f32x4.add(dhTotal, four ? ld(dy, j) : ld1(dy, j));
  const dcIn = four ? ld(dc, j) : ld1(dc, j);
  const dcTotal = f32x4.add(dcIn, f32x4.mul(f32x4.mul(dhTotal, o), f32x4.sub(one, f32x4.mul(t, t))));
  const cPrev = four ? ld(cp, j) : ld1(cp, j);
  const di = f32x4.mul(f32x4.mul(f32x4.mul(dcTotal, gg), i), f32x4.sub(one, i));
  const df = f32x4.mul(f32x4.mul(f32x4.mul(dcTotal, cPrev), f), f32x4.sub(one, f));
  const dgg = f32x4.mul(f32x4.mul(dcTotal, i), f32x4.sub(one, f32x4.mul(gg, gg)));
  const dO = f32x4.mul(f32x4.mul(f32x4.mul(dhTotal, t), o), f32x4.sub(one, o));
  const dcOut = f32x4.mul(dcTotal, f);
  if (four) {
    st(dg, j, di);
    st(dg, H + j, df);
    st(dg, 2 * H + j, dgg);
    st(dg, 3 * H + j, dO);
    st(dc, j, dcOut);
  } else {
    st1(dg, j, di);
    st1(dg, H + j, df);
    st1(dg, 2 * H + j, dgg);
    st1(dg, 3 * H + j, dO);
    st1(dc, j, dcOut);
  }
}

/** LSTM step backward: dGates (rows, 4H) from dh, dc (rows, H) and dy; dc moves one step back. */
export function lstmCellBackward(
  dGates: usize,
  dh: usize,
  dc: usize,
  gates: usize,
  cPrev: usize,
  tanhC: usize,
  dy: usize,
  rows: i32,
  H: i32,
): void {
  const H4 = H & ~3;
  for (let b = 0; b < rows; b++) {
    const gOff = <usize>(b * 4 * H) * 4;
    const s = <usize>(b * H) * 4;
    const dyRow: usize = dy === 0 ? 0 : dy + s;
    for (let j = 0; j < H4; j += 4) {
      lstmBackwardUnits(dGates + gOff, dh + s, dc + s, gates + gOff, cPrev + s, tanhC + s, dyRow, j, H, 4);
    }
    for (let j = H4; j < H; j++) {
      lstmBackwardUnits(dGates + gOff, dh + s, dc + s, gates + gOff, cPrev + s, tanhC + s, dyRow, j, H, 1);
    }
  }
}

@inline
function gruForwardUnits(
  g: usize,
  p: usize,
  bn: usize,
  hn: usize,
  h: usize,
  y: usize,
  j: i32,
  H: i32,
  lanes: i32,
): void {
  const one = f32x4.splat(1);
  const four = lanes === 4;
  const r = sigmoidV(f32x4.add(four ? ld(g, j) : ld1(g, j), four ? ld(p, j) : ld1(p, j)));
  const z = sigmoidV(f32x4.add(four ? ld(g, H + j) : ld1(g, H + j), four ? ld(p, H + j) : ld1(p, H + j)));
  const hnValue = f32x4.add(four ? ld(p, 2 * H + j) : ld1(p, 2 * H + j), four ? ld(bn, j) : ld1(bn, j));
  const n = tanhV(f32x4.add(four ? ld(g, 2 * H + j) : ld1(g, 2 * H + j), f32x4.mul(r, hnValue)));
  const hPrev = four ? ld(h, j) : ld1(h, j);
  const hNew = f32x4.add(f32x4.mul(f32x4.sub(one, z), n), f32x4.mul(z, hPrev));
  if (four) {
    st(hn, j, hnValue);
    st(g, j, r);
    st(g, H + j, z);
    st(g, 2 * H + j, n);
    st(h, j, hNew);
    st(y, j, hNew);
  } else {
    st1(hn, j, hnValue);
    st1(g, j, r);
    st1(g, H + j, z);
    st1(g, 2 * H + j, n);
    st1(h, j, hNew);
    st1(y, j, hNew);
  }
}

/**
 * GRU step, reset after: gates (rows, 3H) in place from gates + hProj (rows, 3H) and b_hn
 * (H, the last third of b_hh); hn (rows, H) = W_hn h + b_hn; hT (rows, H) updated; y written.
 */
export function gruCellForward(
  gates: usize,
  hProj: usize,
  bHn: usize,
  hn: usize,
  hT: usize,
  y: usize,
  rows: i32,
  H: i32,
): void {
  const H4 = H & ~3;
  for (let b = 0; b < rows; b++) {
    const gOff = <usize>(b * 3 * H) * 4;
    const s = <usize>(b * H) * 4;
    for (let j = 0; j < H4; j += 4) gruForwardUnits(gates + gOff, hProj + gOff, bHn, hn + s, hT + s, y + s, j, H, 4);
    for (let j = H4; j < H; j++) gruForwardUnits(gates + gOff, hProj + gOff, bHn, hn + s, hT + s, y + s, j, H, 1);
  }
}

@inline
function gruBackwardUnits(
  dX: usize,
  dH: usize,
  dh: usize,
  g: usize,
  hp: usize,
  hn: usize,
  dy: usize,
  j: i32,
  H: i32,
  lanes: i32,
): void {
  const one = f32x4.splat(1);
  const four = lanes === 4;
  const r = four ? ld(g, j) : ld1(g, j);
  const z = four ? ld(g, H + j) : ld1(g, H + j);
  const n = four ? ld(g, 2 * H + j) : ld1(g, 2 * H + j);
  let dhTotal = four ? ld(dh, j) : ld1(dh, j);
  if (dy !== 0) dhTotal = f32x4.add(dhTotal, four ? ld(dy, j) : ld1(dy, j));
  const dn = f32x4.mul(f32x4.mul(dhTotal, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(n, n)));
  const hPrev = four ? ld(hp, j) : ld1(hp, j);
  const dz = f32x4.mul(f32x4.mul(f32x4.mul(dhTotal, f32x4.sub(hPrev, n)), z), f32x4.sub(one, z));
  const hnValue = four ? ld(hn, j) : ld1(hn, j);
  const dr = f32x4.mul(f32x4.mul(f32x4.mul(dn, hnValue), r), f32x4.sub(one, r));
  const dnr = f32x4.mul(dn, r);
  const dhOut = f32x4.mul(dhTotal, z);
  if (four) {
    st(dX, j, dr);
    st(dX, H + j, dz);
    st(dX, 2 * H + j, dn);
    st(dH, j, dr);
    st(dH, H + j, dz);
    st(dH, 2 * H + j, dnr);
    st(dh, j, dhOut);
  } else {
    st1(dX, j, dr);
    st1(dX, H + j, dz);
    st1(dX, 2 * H + j, dn);
    st1(dH, j, dr);
    st1(dH, H + j, dz);
    st1(dH, 2 * H + j, dnr);
    st1(dh, j, dhOut);
  }
}

/**
 * GRU step backward, reset after: dGatesX, dGatesH (rows, 3H) from dh (rows, H) and dy;
 * dh becomes the direct path z ⊙ dh.
 */
export function gruCellBackward(
  dGatesX: usize,
  dGatesH: usize,
  dh: usize,
  gates: usize,
  hPrev: usize,
  hn: usize,
  dy: usize,
  rows: i32,
  H: i32,
): void {
  const H4 = H & ~3;
  for (let b = 0; b < rows; b++) {
    const gOff = <usize>(b * 3 * H) * 4;
    const s = <usize>(b * H) * 4;
    const dyRow: usize = dy === 0 ? 0 : dy + s;
    for (let j = 0; j < H4; j += 4) {
      gruBackwardUnits(dGatesX + gOff, dGatesH + gOff, dh + s, gates + gOff, hPrev + s, hn + s, dyRow, j, H, 4);
    }
    for (let j = H4; j < H; j++) {
      gruBackwardUnits(dGatesX + gOff, dGatesH + gOff, dh + s, gates + gOff, hPrev + s, hn + s, dyRow, j, H, 1);
    }
  }
}

/** pre (rows, G) += bIh + bHh over columns [0, hhEnd), += bIh past it (the input projection's bias). */
export function addBiasRows(pre: usize, bIh: usize, bHh: usize, rows: i32, G: i32, hhEnd: i32): void {
  for (let r = 0; r < rows; r++) {
    const o = pre + <usize>(r * G) * 4;
    for (let g = 0; g < G; g++) {
      const at = o + <usize>g * 4;
      const bias = g < hhEnd ? load<f32>(bIh + <usize>g * 4) + load<f32>(bHh + <usize>g * 4) : load<f32>(bIh + <usize>g * 4);
      store<f32>(at, load<f32>(at) + bias);
    }
  }
}

/** db (G) += column sums of d (rows, G), row by row (db stays in cache), f32x4 over columns. */
export function addColumnSums(db: usize, d: usize, rows: i32, G: i32): void {
  const G4 = G & ~3;
  for (let r = 0; r < rows; r++) {
    const row = d + <usize>(r * G) * 4;
    for (let g = 0; g < G4; g += 4) st(db, g, f32x4.add(ld(db, g), ld(row, g)));
    for (let g = G4; g < G; g++) {
      const at = db + <usize>g * 4;
      store<f32>(at, load<f32>(at) + load<f32>(row + <usize>g * 4));
    }
  }
}

/** SimpleRNN step: gates (rows, H) activated in place (tanh or relu); hT (rows, H) and y written. */
export function rnnCellForward(gates: usize, hT: usize, y: usize, rows: i32, H: i32, relu: bool): void {
  const n = rows * H;
  const n4 = n & ~3;
  for (let j = 0; j < n4; j += 4) {
    const pre = ld(gates, j);
    const h = relu ? f32x4.max(pre, f32x4.splat(0)) : tanhV(pre);
    st(gates, j, h);
    st(hT, j, h);
    st(y, j, h);
  }
  for (let j = n4; j < n; j++) {
    const pre = ld1(gates, j);
    const h = relu ? f32x4.max(pre, f32x4.splat(0)) : tanhV(pre);
    st1(gates, j, h);
    st1(hT, j, h);
    st1(y, j, h);
  }
}

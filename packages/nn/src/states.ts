// The states of recurrent layers as users see them: an initial state given before fit, evaluate
// or predict (Keras' `initial_state`, PyTorch's `h0`/`c0`), and the final states of the last
// predict (Keras' `return_state`, PyTorch's `h_n`/`c_n`). Both are batch-major (N, H) or one
// row (H) for every sample; a bidirectional layer has a forward and a backward pair.
//
// A per-sample initial state is read by each sample's index (the row of x it came from, which a
// shuffled or split fit keeps), so row i always starts sample i. The layers hold the given state
// (Recurrent.givenState); a step copies rows into the state buffers and allocates nothing.
import type { Model } from './base-model.js';
import { fail, NnErrorCode } from './errors.js';
import type { Layer } from './layer.js';
import { Bidirectional } from './layers/bidirectional.js';
import { type GivenState, Recurrent } from './layers/recurrent.js';
import { describe } from './validate.js';

/** Numbers for a state: a flat array of H (every sample) or N·H (one row per sample), or { data, shape }. */
export type StateArray = ArrayLike<number> | { data: ArrayLike<number>; shape: number[] };

/** An initial state for one recurrent layer. */
export interface InitialState {
  /** hidden state: (H) for every sample or (N, H), one row per sample of x */
  h: StateArray;
  /** LSTM cell state, shaped like h; default zeros */
  c?: StateArray;
  /** bidirectional layers: the backward direction's state; default zeros */
  backward?: { h: StateArray; c?: StateArray };
}

/** The final states of one recurrent layer for every sample of the last predict, batch-major. */
export interface FinalStates {
  /** (N, H) the state after each sample's last real step (its first, for goBackwards) */
  h: Float32Array;
  /** (N, H) LSTM only: the cell state */
  c?: Float32Array;
  /** [N, H] */
  shape: [number, number];
  /** bidirectional layers: the backward direction's states */
  backward?: Omit<FinalStates, 'backward'>;
}

/** The directions of a recurrent layer (one, or forward and backward), or null for other layers. */
function directionsOf(layer: Layer): Recurrent[] | null {
  if (layer instanceof Recurrent) return [layer];
  if (layer instanceof Bidirectional) return [layer.forwardLayer, layer.backwardLayer];
  return null;
}

function recurrentIndices(model: Model): string {
  const found = model.layers.flatMap((layer, i) => (directionsOf(layer) === null ? [] : [i]));
  return found.length === 0 ? 'this model has none' : `recurrent layers: ${found.join(', ')}`;
}

/** The directions of layer `index`, checked. */
function directionsAt(model: Model, where: string, index: unknown): Recurrent[] {
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= model.layers.length) {
    fail(
      NnErrorCode.BAD_OPTION,
      `${where}: layerIndex must be an integer in [0, ${model.layers.length}), got ${describe(index)} (${recurrentIndices(model)})`,
    );
  }
  const layer = model.layers[index];
  const directions = directionsOf(layer);
  if (directions === null) {
    fail(
      NnErrorCode.BAD_OPTION,
      `${where}: layer ${index} (${layer.kind}) has no state (${recurrentIndices(model)})`,
    );
  }
  return directions;
}

/** A state array as (rows, H) floats, checked. */
function stateRows(
  where: string,
  name: string,
  value: unknown,
  H: number,
): { data: Float32Array; rows: number } {
  const isShaped =
    typeof value === 'object' &&
    value !== null &&
    'data' in value &&
    'shape' in value &&
    !ArrayBuffer.isView(value);
  const data = isShaped ? (value as { data: unknown }).data : value;
  if (
    typeof data !== 'object' ||
    data === null ||
    typeof (data as ArrayLike<number>).length !== 'number' ||
    typeof data === 'string'
  ) {
    fail(
      NnErrorCode.BAD_OPTION,
      `${where}: ${name} must be numbers (an array or typed array of H = ${H}, or of N·H), or { data, shape: [N, ${H}] }, got ${describe(value)}`,
    );
  }
  const floats = Float32Array.from(data as ArrayLike<number>);
  if (isShaped) {
    const shape = (value as { shape: unknown }).shape;
    const ok =
      Array.isArray(shape) &&
      (shape.length === 1 || shape.length === 2) &&
      shape[shape.length - 1] === H &&
      (shape.length === 1 || (Number.isInteger(shape[0]) && shape[0] >= 1)) &&
      shape.reduce((a: number, b: number) => a * b, 1) === floats.length;
    if (!ok) {
      fail(
        NnErrorCode.BAD_OPTION,
        `${where}: ${name} must have shape [${H}] or [N, ${H}] matching its ${floats.length} values, got shape ${describe(shape)}`,
      );
    }
  }
  if (floats.length === 0 || floats.length % H !== 0) {
    fail(
      NnErrorCode.BAD_OPTION,
      `${where}: ${name} has ${floats.length} values; expected H = ${H} (every sample) or a multiple of ${H} (one row per sample)`,
    );
  }
  const bad = floats.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    fail(
      NnErrorCode.BAD_OPTION,
      `${where}: ${name}[${bad}] is ${floats[bad]}; states must be finite numbers`,
    );
  }
  return { data: floats, rows: floats.length / H };
}

/** One direction's given state from { h, c? }, checked against the layer. */
function givenState(where: string, name: string, layer: Recurrent, value: unknown): GivenState {
  if (typeof value !== 'object' || value === null || !('h' in value)) {
    fail(NnErrorCode.BAD_OPTION, `${where}: ${name} must be { h, c? }, got ${describe(value)}`);
  }
  const v = value as { h: unknown; c?: unknown };
  const h = stateRows(where, `${name}.h`, v.h, layer.units);
  if (v.c !== undefined && layer.kind !== 'lstm') {
    fail(NnErrorCode.BAD_OPTION, `${where}: ${name}.c is an lstm cell state; a ${layer.kind} has only h`);
  }
  const c = v.c === undefined ? null : stateRows(where, `${name}.c`, v.c, layer.units);
  if (c !== null && c.rows !== h.rows) {
    fail(
      NnErrorCode.BAD_OPTION,
      `${where}: ${name}.h has ${h.rows} rows but ${name}.c has ${c.rows}; give both alike`,
    );
  }
  return { h: h.data, c: c === null ? null : c.data, rows: h.rows };
}

/** Sets (or clears, with null) the initial state of layer `index` of `model`. */
export function setInitialState(model: Model, index: number, state: InitialState | null): void {
  const where = 'setInitialState';
  const directions = directionsAt(model, where, index);
  if (state === null) {
    for (const layer of directions) layer.givenState = null;
    return;
  }
  if (typeof state !== 'object') {
    fail(
      NnErrorCode.BAD_OPTION,
      `${where}: state must be { h, c?, backward? } or null, got ${describe(state)}`,
    );
  }
  const keys = Object.keys(state);
  const allowed = directions.length === 2 ? ['h', 'c', 'backward'] : ['h', 'c'];
  const unknown = keys.find((k) => !allowed.includes(k));
  if (unknown !== undefined) {
    const hint = unknown === 'backward' ? ' (backward is for bidirectional layers)' : '';
    fail(
      NnErrorCode.BAD_OPTION,
      `${where}: unknown state key '${unknown}'${hint} (known: ${allowed.join(', ')})`,
    );
  }
  const forward = givenState(where, 'state', directions[0], state);
  const backward =
    directions.length === 2 && state.backward !== undefined
      ? givenState(where, 'state.backward', directions[1], state.backward)
      : null;
  if (backward !== null && backward.rows !== forward.rows) {
    fail(
      NnErrorCode.BAD_OPTION,
      `${where}: state.h has ${forward.rows} rows but state.backward.h has ${backward.rows}; give both alike`,
    );
  }
  directions[0].givenState = forward;
  if (directions.length === 2) directions[1].givenState = backward;
}

/** Checks that every per-sample initial state has one row per sample of data of `n` samples. */
export function checkStateRows(model: Model, n: unknown, where: string): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) return; // the data's own check reports it
  model.layers.forEach((layer, i) => {
    for (const direction of directionsOf(layer) ?? []) {
      const rows = direction.givenState?.rows ?? 1;
      if (rows !== 1 && rows !== n) {
        fail(
          NnErrorCode.BAD_DATA,
          `${where}: the initial state of layer ${i} has ${rows} rows but the data has ${n} samples; ` +
            'give one row per sample, or a single row (H) for every sample (model.setInitialState)',
        );
      }
    }
  });
}

/** The index of the first layer with an initial state set, or -1. */
export function layerWithInitialState(model: Model): number {
  return model.layers.findIndex((layer) => (directionsOf(layer) ?? []).some((d) => d.givenState !== null));
}

/** True when some layer has an initial state with one row per sample. */
export function hasPerSampleState(model: Model): boolean {
  return model.layers.some((layer) => (directionsOf(layer) ?? []).some((d) => (d.givenState?.rows ?? 1) > 1));
}

/** Collects every recurrent layer's final states over the batches of one predict. */
export class StateRecorder {
  private readonly states = new Map<number, FinalStates>();

  constructor(private readonly model: Model) {}

  /** Copies the final states of the batch that just ran (samples first .. first + B of n). */
  record(first: number, B: number, n: number): void {
    this.model.layers.forEach((layer, i) => {
      const directions = directionsOf(layer);
      if (directions === null) return;
      let entry = this.states.get(i);
      if (entry === undefined) {
        const [f, b] = directions.map((d) => statesFor(d, n));
        entry = b === undefined ? f : { ...f, backward: b };
        this.states.set(i, entry);
      }
      const targets = [entry, entry.backward];
      directions.forEach((d, k) => {
        const target = targets[k] as FinalStates;
        const H = d.units;
        target.h.set(d.state.hT.subarray(0, B * H), first * H);
        target.c?.set(d.state.cT.subarray(0, B * H), first * H);
      });
    });
  }

  /** Copies of layer `index`'s final states. */
  get(index: number): FinalStates {
    const where = 'finalStates';
    directionsAt(this.model, where, index);
    const entry = this.states.get(index) as FinalStates;
    const copy = (s: Omit<FinalStates, 'backward'>) => ({
      h: s.h.slice(),
      ...(s.c === undefined ? {} : { c: s.c.slice() }),
      shape: [...s.shape] as [number, number],
    });
    return entry.backward === undefined ? copy(entry) : { ...copy(entry), backward: copy(entry.backward) };
  }
}

function statesFor(layer: Recurrent, n: number): FinalStates {
  const H = layer.units;
  const h = new Float32Array(n * H);
  return layer.kind === 'lstm' ? { h, c: new Float32Array(n * H), shape: [n, H] } : { h, shape: [n, H] };
}

/** The final states of layer `index` after the last predict (`recorder` null: none ran yet). */
export function finalStatesOf(model: Model, index: number, recorder: StateRecorder | null): FinalStates {
  directionsAt(model, 'finalStates', index);
  if (recorder === null) {
    fail(
      NnErrorCode.NOT_READY,
      "finalStates: call model.predict(x) first; it records every recurrent layer's final states",
    );
  }
  return recorder.get(index);
}

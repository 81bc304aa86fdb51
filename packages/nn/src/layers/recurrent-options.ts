// The options of the simpleRNN, lstm and gru layers: their names, defaults and checks (each
// failure a coded ERR_NN_BAD_OPTION naming the option), resolved once in the constructor.
//
// Porting note: the option names and defaults follow Keras (units, returnSequences,
// returnState, goBackwards, stateful, unitForgetBias, resetAfter, initializers).
import { fail, NnErrorCode } from '../errors.js';
import type { Initializer } from '../layer.js';
import { boolean, describe, knownKeys, oneOf, positiveInteger } from '../validate.js';

export type CellKind = 'simpleRNN' | 'lstm' | 'gru';
const INITIALIZERS: Initializer[] = ['glorotUniform', 'orthogonal', 'zeros', 'ones', 'uniformFanIn'];

export interface RecurrentOptions {
  units: number;
  /** output every step (T, B, H) instead of the last output (B, H); default false */
  returnSequences?: boolean;
  /**
   * also expose the final states to the model (the encoder–decoder's encoder); default false.
   * `sequential` rejects it, as Keras does: read a layer's final states with
   * `model.finalStates(i)` after predict instead.
   */
  returnState?: boolean;
  /** read each sample from its last real step to its first; default false */
  goBackwards?: boolean;
  /** carry the final state of a batch into the next one (truncated BPTT); default false */
  stateful?: boolean;
  /** simpleRNN only: 'tanh' (default) or 'relu' */
  activation?: 'tanh' | 'relu';
  /** lstm only: start the forget gate's bias at 1; default true */
  unitForgetBias?: boolean;
  /** gru only: reset gate after the recurrent product (PyTorch, Keras default); default true */
  resetAfter?: boolean;
  kernelInitializer?: Initializer;
  recurrentInitializer?: Initializer;
  biasInitializer?: Initializer;
  /** [steps, features] of the model's input, on a first layer */
  inputShape?: [number, number];
}

const OPTION_KEYS = [
  'units',
  'returnSequences',
  'returnState',
  'goBackwards',
  'stateful',
  'activation',
  'unitForgetBias',
  'resetAfter',
  'kernelInitializer',
  'recurrentInitializer',
  'biasInitializer',
  'inputShape',
];

/** Resolved options: every field present. */
export type Resolved = Required<Omit<RecurrentOptions, 'inputShape'>> & {
  inputShape: [number, number] | null;
};

export function resolve(cell: CellKind, options: RecurrentOptions): Resolved {
  const where = cell;
  knownKeys(where, options, OPTION_KEYS, 'with at least { units }');
  if (cell !== 'simpleRNN' && options.activation !== undefined) {
    fail(NnErrorCode.BAD_OPTION, `${where}: activation is a simpleRNN option (LSTM and GRU gates are fixed)`);
  }
  if (cell !== 'lstm' && options.unitForgetBias !== undefined) {
    fail(NnErrorCode.BAD_OPTION, `${where}: unitForgetBias is an lstm option`);
  }
  if (cell !== 'gru' && options.resetAfter !== undefined) {
    fail(NnErrorCode.BAD_OPTION, `${where}: resetAfter is a gru option`);
  }
  const flag = (name: keyof RecurrentOptions, fallback: boolean) =>
    options[name] === undefined ? fallback : boolean(where, name, options[name]);
  const init = (name: keyof RecurrentOptions, fallback: Initializer) =>
    options[name] === undefined ? fallback : oneOf(where, name, options[name], INITIALIZERS);
  return {
    units: positiveInteger(where, 'units', options.units),
    returnSequences: flag('returnSequences', false),
    returnState: flag('returnState', false),
    goBackwards: flag('goBackwards', false),
    stateful: flag('stateful', false),
    activation:
      options.activation === undefined
        ? 'tanh'
        : oneOf(where, 'activation', options.activation, ['tanh', 'relu']),
    unitForgetBias: flag('unitForgetBias', true),
    resetAfter: flag('resetAfter', true),
    kernelInitializer: init('kernelInitializer', 'glorotUniform'),
    recurrentInitializer: init('recurrentInitializer', 'orthogonal'),
    biasInitializer: init('biasInitializer', 'zeros'),
    inputShape: resolveInputShape(where, options.inputShape),
  };
}

export function resolveInputShape(where: string, shape: unknown): [number, number] | null {
  if (shape === undefined) return null;
  if (!Array.isArray(shape) || shape.length !== 2) {
    fail(NnErrorCode.BAD_OPTION, `${where}: inputShape must be [steps, features], got ${describe(shape)}`);
  }
  return [
    positiveInteger(where, 'inputShape[0] (steps)', shape[0]),
    positiveInteger(where, 'inputShape[1] (features)', shape[1]),
  ];
}

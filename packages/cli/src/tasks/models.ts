// The layers a config's model section describes: an optional embedding, `layers` recurrent
// layers of one cell (each bidirectional if asked, dropout between them), and a dense head; and
// the model the text tasks build from them over token ids (tokenModel).
import {
  bidirectional,
  dense,
  dropout,
  embedding,
  gru,
  type Layer,
  lstm,
  type Model,
  sequential,
  simpleRNN,
} from '@recur/nn';

export interface StackSpec {
  cell: 'lstm' | 'gru' | 'simpleRNN';
  units: number;
  layers: number;
  bidirectional: boolean;
  dropout: number;
}

const CELLS = { lstm, gru, simpleRNN };

export function recurrentStack(
  spec: StackSpec,
  options: {
    /** the last recurrent layer returns every step (tagging, language models) */
    returnSequences: boolean;
    /** width of the dense head (1, classes, tags or vocabulary) */
    outputs: number;
    /** token ids in: an embedding of V ids to D values first */
    embedding?: { inputDim: number; outputDim: number; steps: number; maskZero: boolean };
  },
): Layer[] {
  const layers: Layer[] = [];
  const e = options.embedding;
  if (e !== undefined) {
    layers.push(
      embedding({
        inputDim: e.inputDim,
        outputDim: e.outputDim,
        maskZero: e.maskZero,
        inputShape: [e.steps],
      }),
    );
  }
  for (let i = 0; i < spec.layers; i++) {
    const returnSequences = i < spec.layers - 1 || options.returnSequences;
    const layer = CELLS[spec.cell]({ units: spec.units, returnSequences });
    layers.push(spec.bidirectional ? bidirectional(layer) : layer);
    if (spec.dropout > 0 && i < spec.layers - 1) layers.push(dropout({ rate: spec.dropout }));
  }
  if (spec.dropout > 0) layers.push(dropout({ rate: spec.dropout }));
  layers.push(dense({ units: options.outputs }));
  return layers as Layer[];
}

/**
 * A model over token ids (classify, tag, language models): an embedding of `vocabulary` ids to
 * the config's `model.embedding` values, its recurrent stack, and a dense head of `outputs` logits
 * (at every step with `returnSequences`), seeded by `training.seed`.
 */
export function tokenModel(
  config: { model: StackSpec & { embedding: number }; training: { seed: number } },
  o: { vocabulary: number; steps: number; outputs: number; returnSequences: boolean },
): Model {
  const layers = recurrentStack(config.model, {
    returnSequences: o.returnSequences,
    outputs: o.outputs,
    embedding: { inputDim: o.vocabulary, outputDim: config.model.embedding, steps: o.steps, maskZero: false },
  });
  return sequential(layers, { seed: config.training.seed });
}

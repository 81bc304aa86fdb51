// model.summary(): the Keras-style table of a model's layers, their output shapes and parameter
// counts. Porting note: the columns and the "(None, …)" shapes follow Keras' model.summary().
import type { Model } from './base-model.js';
import type { ShapeSpec } from './layer.js';
import { describeShape } from './layers/recurrent.js';

const shape = (s: ShapeSpec) =>
  s.steps === null ? `(None, ${s.features})` : `(None, ${s.steps}, ${s.features})`;

/** The table: one row per layer (its name and kind, output shape, parameter count), then the total. */
export function summaryTable(model: Model): string {
  const counts = model.layers.map((_, i) =>
    model.layout.rows.filter((r) => r.name.startsWith(model.prefixes[i])).reduce((a, r) => a + r.size, 0),
  );
  const rows = model.layers.map((l, i) => [
    `${model.prefixes[i].slice(0, -1)} (${l.kind})`,
    shape(model.shapes[i]),
    String(counts[i]),
  ]);
  const header = ['Layer (type)', 'Output Shape', 'Param #'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)) + 2);
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('')
      .trimEnd();
  const rule = '─'.repeat(widths.reduce((a, b) => a + b, 0));
  return [
    `Model: ${model.config().kind}, input ${describeShape(model.inputSpec)}`,
    rule,
    line(header),
    rule,
    ...rows.map(line),
    rule,
    `Total params: ${model.layout.size}`,
  ].join('\n');
}

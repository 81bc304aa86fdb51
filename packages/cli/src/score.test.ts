// The one line of a score beside its baseline (formatScore): better, worse, and a baseline of 0
// (a constant target makes persistence exact), which no percentage can describe.
import t from 'tap';
import { comparison, formatScore } from './report/html.js';
import type { Score } from './tasks/index.js';

const mae = (value: number, baseline: number): Score => ({
  metric: 'MAE',
  unit: '',
  value,
  baseline: { name: 'persistence', value: baseline },
  lowerIsBetter: true,
});

t.test('a score better or worse than its baseline says by how much', async (t) => {
  t.equal(formatScore(mae(0.5, 1)), 'test MAE 0.5000 vs persistence 1.000: 50.0% better than persistence');
  t.equal(formatScore(mae(1.5, 1)), 'test MAE 1.500 vs persistence 1.000: 50.0% worse than persistence');
});

t.test(
  'a baseline of 0 (a constant target) reads as exact, not "0.0% worse" (issue 16, defect 22)',
  async (t) => {
    const worse = formatScore(mae(0.4786, 0));
    t.equal(
      worse,
      'test MAE 0.4786 vs persistence 0.000: persistence is exact (0.000), the model is off by 0.4786',
    );
    t.notMatch(worse, /%/);
    t.equal(comparison(mae(0.4786, 0)).better, false);
    const tie = formatScore(mae(0, 0));
    t.equal(tie, 'test MAE 0.000 vs persistence 0.000: both exact');
    t.equal(comparison(mae(0, 0)).better, true, 'a tie at 0 is not worse');
    const accuracy: Score = {
      metric: 'accuracy',
      unit: '%',
      value: 40,
      baseline: { name: 'majority class', value: 0 },
      lowerIsBetter: false,
    };
    t.equal(
      formatScore(accuracy),
      'test accuracy 40.00% vs majority class 0.00%: 40.00 points better than majority class',
    );
  },
);

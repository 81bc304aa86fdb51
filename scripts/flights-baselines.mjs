// flights-3m (not a test): is there a sequence task in the 3 million flights? Streams the Parquet
// file into per-route delay sequences ordered by date (@recur/examples' loadFlightSequences: routes
// with at least 31 flights) and scores naive predictions of each flight's delay from the route's
// previous 30 flights: the last delay (persistence), their mean, their median, and zero. Prints
// the MAEs in minutes over every flight after a route's 30th.
//
//   TURBO_TELEMETRY_DISABLED=1 pnpm exec turbo run build --filter=@recur/examples
//   node --max-old-space-size=4096 scripts/flights-baselines.mjs
import { loadFlightSequences } from '@recur/examples';

const WINDOW = 30;
const started = performance.now();
const routes = await loadFlightSequences({ by: 'route', features: ['delay'], minLength: WINDOW + 1 });
const error = { persistence: 0, mean: 0, median: 0, zero: 0 };
let flights = 0;
let scored = 0;
const previous = new Float32Array(WINDOW);
for (const route of routes) {
  const delay = route.values; // (T, 1)
  flights += route.length;
  for (let t = WINDOW; t < route.length; t++) {
    previous.set(delay.subarray(t - WINDOW, t));
    const mean = previous.reduce((a, b) => a + b, 0) / WINDOW;
    previous.sort();
    const median = (previous[WINDOW / 2 - 1] + previous[WINDOW / 2]) / 2;
    error.persistence += Math.abs(delay[t] - delay[t - 1]);
    error.mean += Math.abs(delay[t] - mean);
    error.median += Math.abs(delay[t] - median);
    error.zero += Math.abs(delay[t]);
    scored++;
  }
}
const seconds = (performance.now() - started) / 1000;
console.log(`${routes.length} routes, ${flights} flights, ${scored} scored (${seconds.toFixed(0)} s)`);
for (const [name, sum] of Object.entries(error)) console.log(`MAE ${name}: ${(sum / scored).toFixed(2)} min`);

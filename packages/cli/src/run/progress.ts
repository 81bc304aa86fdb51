// Progress of a training run. On a terminal: a cli-progress bar per epoch with the step, loss,
// the last epoch's validation numbers and learning rate, samples/s and ETA. Without one (a pipe,
// CI): one line per epoch.
import cliProgress from 'cli-progress';

export interface EpochLine {
  epoch: number;
  epochs: number;
  loss: number;
  /** e.g. ['val_loss', 0.21], ['val_mae', 0.33] */
  validation: [string, number][];
  /** the learning rate of the epoch's last step */
  lr?: number;
  samplesPerSecond: number;
  seconds: number;
}

export interface Progress {
  startEpoch(epoch: number, epochs: number, steps: number): void;
  step(step: number, loss: number, samples: number, seconds: number): void;
  endEpoch(line: EpochLine): void;
  stop(): void;
}

const fmt = (v: number) =>
  Math.abs(v) >= 1000 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4);

export function formatEpoch(line: EpochLine): string {
  const validation = line.validation.map(([k, v]) => `${k} ${fmt(v)}`).join('  ');
  const width = String(line.epochs).length;
  const lr = line.lr === undefined ? '' : `  lr ${fmt(line.lr)}`;
  return `epoch ${String(line.epoch + 1).padStart(width)}/${line.epochs}  loss ${fmt(line.loss)}  ${validation}${lr}  ${Math.round(line.samplesPerSecond)} samples/s  ${line.seconds.toFixed(1)} s`;
}

/** One line per epoch on `write`. */
export function lineProgress(write: (line: string) => void): Progress {
  return {
    startEpoch() {},
    step() {},
    endEpoch(line) {
      write(formatEpoch(line));
    },
    stop() {},
  };
}

/** A progress bar on a terminal stream (stderr by default), and the epoch lines kept above it. */
export function barProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  let bar: cliProgress.SingleBar | null = null;
  let lastValidation = '';
  return {
    startEpoch(epoch, epochs, steps) {
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `epoch ${epoch + 1}/${epochs} |{bar}| step {value}/{total} | loss {loss} | {validation} | {speed} samples/s | ETA {eta_formatted}`,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(steps, 0, { loss: '-', validation: lastValidation || 'val -', speed: '-' });
    },
    step(step, loss, samples, seconds) {
      bar?.update(step, { loss: fmt(loss), speed: seconds > 0 ? Math.round(samples / seconds) : '-' });
    },
    endEpoch(line) {
      bar?.stop();
      bar = null;
      const lr: [string, number][] = line.lr === undefined ? [] : [['lr', line.lr]];
      lastValidation = [...line.validation, ...lr].map(([k, v]) => `${k} ${fmt(v)}`).join(' ');
      stream.write(`${formatEpoch(line)}\n`);
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}

/** A bar on a terminal, lines otherwise. */
export function progressFor(stream: NodeJS.WriteStream, write: (line: string) => void): Progress {
  return stream.isTTY ? barProgress(stream) : lineProgress(write);
}

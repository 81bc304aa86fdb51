// What a command file exports: its name and how it adds itself to the program. Commands are
// listed in commands/index.ts; a new command is one file here and one line there.
import { type Command, InvalidArgumentError } from 'commander';

export interface CommandContext {
  /** human output, one line */
  write(line: string): void;
}

export interface CliCommand {
  name: string;
  register(program: Command, context: CommandContext): void;
}

/** A flag parser for integers ≥ min, with a message commander prints as a usage error. */
export function integerFlag(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected an integer ≥ ${min}, got '${value}'`);
    }
    return n;
  };
}

/** A flag parser for numbers above 0. */
export function positiveNumberFlag(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError(`expected a number above 0, got '${value}'`);
  }
  return n;
}

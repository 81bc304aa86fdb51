// The `recur` program: commander with every command of commands/index.ts, one error line per
// failure (code, message, hint; the stack only with --verbose), and exit codes (errors.ts).
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.js';
import { CliError, CliErrorCode, describeError, ExitCode } from './errors.js';

const version = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface RunOptions {
  /** standard output (default process.stdout) */
  out?: (text: string) => void;
  /** standard error (default process.stderr) */
  err?: (text: string) => void;
}

export function buildProgram(options: RunOptions = {}): Command {
  const out = options.out ?? ((t: string) => process.stdout.write(t));
  const err = options.err ?? ((t: string) => process.stderr.write(t));
  const program = new Command('recur')
    .description('train recurrent models (SimpleRNN, LSTM, GRU) from a JSON config on Node.js')
    .version(version, '-V, --version')
    .option('--verbose', 'print the stack trace of an error')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: err, outputError: () => {} })
    .addHelpText(
      'after',
      '\nConfigs: configs/*.json (reference: packages/cli/README.md). Each command has --help.\nExit codes: 0 done, 1 failed, 2 bad flag or config, 130 stopped by Ctrl-C.',
    );
  const context = { write: (line: string) => out(`${line}\n`) };
  for (const command of commands) command.register(program, context);
  return program;
}

/** Runs `recur` with `argv` (as process.argv) and resolves to the exit code. */
export async function main(argv: string[], options: RunOptions = {}): Promise<number> {
  const err = options.err ?? ((t: string) => process.stderr.write(t));
  const program = buildProgram(options);
  try {
    await program.parseAsync(argv);
    return ExitCode.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(error.code))
        return ExitCode.OK;
      if (error.code === 'commander.executeSubCommandAsync') return error.exitCode;
      const message = error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
      const command = argv.slice(2).find((a) => !a.startsWith('-'));
      const known = program.commands.some((c) => c.name() === command);
      const bad = new CliError(CliErrorCode.BAD_FLAG, message, {
        hint: `run \`recur ${known ? `${command} ` : ''}--help\` for the ${known ? 'flags' : 'commands'}`,
      });
      err(`${describeError(bad).line}\n`);
      return ExitCode.USAGE;
    }
    const { line, exitCode } = describeError(error);
    err(`${line}\n`);
    if (program.opts().verbose === true && error instanceof Error) err(`${error.stack ?? ''}\n`);
    return exitCode;
  }
}

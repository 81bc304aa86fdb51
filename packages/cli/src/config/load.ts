// Reading a config: JSON from a file, checked against the schema, with every problem reported as
// `<file>: <json.path>: <what is wrong>`; data paths resolved against the file's folder; then
// flags applied on top (and checked again).
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { RecurError, resolveSchedule, type ScheduleSpec } from '@recur/nn';
import type { z } from 'zod';
import { CliError, CliErrorCode, fail } from '../errors.js';
import { type Config, configSchema, TASKS } from './schema.js';

/** `data.split.train`, `model.layers[0]`: the JSON path of an issue. */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(the whole config)' : out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = jsonPath(issue.path);
  if (issue.code === 'invalid_union' && issue.path.at(-1) === 'task') {
    return `${where}: expected one of ${TASKS.join(', ')}`;
  }
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `'${k}'`).join(', ');
    const prefix = issue.path.length === 0 ? '' : `${where}: `;
    return `${prefix}unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}`;
  }
  const input = (issue as { input?: unknown }).input;
  const got =
    input === undefined || (typeof input === 'object' && input !== null)
      ? ''
      : `, got ${JSON.stringify(input)}`;
  return `${where}: ${issue.message}${got}`;
}

/** Validates a parsed config; `source` names it in messages. */
export function parseConfig(value: unknown, source = 'config'): Config {
  const result = configSchema.safeParse(value, { reportInput: true });
  if (!result.success) {
    const issues = result.error.issues.map(describeIssue);
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more: ${issues.slice(1).join('; ')})` : '';
    fail(CliErrorCode.BAD_CONFIG, `${source}: ${issues[0]}${more}`);
  }
  checkSchedule(result.data, source);
  return result.data;
}

/** training.schedule against training.learningRate (cosine's minLr, totalSteps > warmupSteps), by @recur/nn's own check. */
function checkSchedule(config: Config, source: string): void {
  const t = config.training;
  if (t.schedule === undefined) return;
  try {
    resolveSchedule(t.schedule as ScheduleSpec, t.learningRate);
  } catch (error) {
    if (!(error instanceof RecurError)) throw error;
    fail(CliErrorCode.BAD_CONFIG, `${source}: training.${error.message}`, { cause: error });
  }
}

/** Limit: the largest config file read (1 MiB; configs are a few hundred bytes). */
export const CONFIG_MAX_BYTES = 1024 * 1024;

/** A device, FIFO or folder given as a config is ERR_CLI_BAD_PATH, a huge file ERR_CLI_LIMIT_EXCEEDED, before reading. */
function checkConfigFile(path: string): void {
  const info = statSync(path, { throwIfNoEntry: false });
  if (info === undefined || info.isFile()) {
    if (info !== undefined && info.size > CONFIG_MAX_BYTES) {
      fail(
        CliErrorCode.LIMIT_EXCEEDED,
        `config ${path} is ${info.size} bytes, over CONFIG_MAX_BYTES (${CONFIG_MAX_BYTES})`,
      );
    }
    return;
  }
  fail(
    CliErrorCode.BAD_PATH,
    `config ${path} is ${info.isDirectory() ? 'a folder' : 'not a regular file'}; give a JSON file`,
  );
}

/** Reads and validates a config file. */
export function loadConfig(path: string): Config {
  let text: string;
  try {
    checkConfigFile(path);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    return fail(CliErrorCode.NOT_FOUND, `cannot read config ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail(CliErrorCode.BAD_CONFIG, `${path}: not valid JSON: ${(error as Error).message}`);
  }
  return withPathsFrom(dirname(resolve(path)), parseConfig(value, path));
}

/**
 * The config with its data paths (data.source.path, data.pack.path) resolved against `folder`,
 * the config file's: a config and its data move together, whatever the working directory.
 * Absolute paths stay; the run folder's config.json keeps the resolved (absolute) ones.
 */
export function withPathsFrom(folder: string, config: Config): Config {
  const data = config.data as { source: { path?: string }; pack?: { path?: string } };
  if (data.source.path !== undefined) data.source.path = resolve(folder, data.source.path);
  if (data.pack?.path !== undefined) data.pack.path = resolve(folder, data.pack.path);
  return config;
}

/** Flags that override a config. */
export interface Overrides {
  threads?: number;
  epochs?: number;
  batchSize?: number;
  seed?: number;
  output?: string;
  limit?: number;
}

/** The config with flags applied, validated again (so a bad flag value names its key). */
export function applyOverrides(config: Config, overrides: Overrides, source = 'config'): Config {
  const next = structuredClone(config) as Config & { data: { limit?: number } };
  const t = next.training;
  if (overrides.threads !== undefined) t.threads = overrides.threads;
  if (overrides.epochs !== undefined) t.epochs = overrides.epochs;
  if (overrides.batchSize !== undefined) t.batchSize = overrides.batchSize;
  if (overrides.seed !== undefined) t.seed = overrides.seed;
  if (overrides.output !== undefined) next.output = overrides.output;
  if (overrides.limit !== undefined) next.data.limit = overrides.limit;
  return parseConfig(next, `${source} with flags`);
}

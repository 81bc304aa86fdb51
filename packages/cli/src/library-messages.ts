// Library messages in the words of a config: @recur/data's errors name its API options
// (`options.missing`, `columns: {...}`, `options.maxFieldBytes`), which a recur config cannot
// express. The CLI prints them with the config key that does the same, or without the advice
// when no key does (issue 16, defect 23). One table, applied to every ERR_DATA_* line.
const REPHRASED: [RegExp, string][] = [
  [/\(options\.missing is '(\w[\w-]*)'\)/g, "(data.source.missing is '$1')"],
  [/options\.missing is 'error'/g, "data.source.missing is 'error' (the default)"],
  [
    /pass missing: 'nan', 'drop-row' or 'previous' to accept missing values/g,
    "set data.source.missing to 'drop-row' or 'previous' to accept missing values",
  ],
  [/use missing: 'drop-row'/g, "set data.source.missing to 'drop-row'"],
  [
    /read the source with missing: 'drop-row' or 'previous'/g,
    "set data.source.missing to 'drop-row' or 'previous'",
  ],
  [
    /; declare columns: \{ '[^']*': 'string' \} to read it as text\)/g,
    '; the series columns are numbers: fix that value, or drop the row)',
  ],
  [/; options\.\w+ raises it\)/g, ')'],
];

/** `message` with the library's option names replaced by config keys, or the advice dropped. */
export function inConfigTerms(message: string): string {
  return REPHRASED.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), message);
}

/**
 * Command-line flags for the `pulsewatch` subcommands (app/cli) and the npm tools (app/tools): one
 * strict parser over node's util.parseArgs, one error for a bad command line, one way to read a
 * number. A bad command line ends with exit code 2 and the usage; anything else that fails, with 1.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The flags a command takes, as util.parseArgs describes them (string and boolean options). */
export type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/** What `options` parse to: a string, a boolean or an array per flag, present when it has a default. */
export type FlagValues<O extends FlagOptions> = ReturnType<
  typeof parseArgs<{ options: O; strict: true }>
>['values'];

export interface ParsedFlags<O extends FlagOptions> {
  values: FlagValues<O>;
  /** Always empty unless parseFlags was given `positionals: true`. */
  positionals: string[];
}

/** A problem with the command line, or with what it names; printed with the usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly code = 'USAGE';
  /** Running the same command again fails the same way. */
  readonly retryable = false;
}

/**
 * A UsageError, or node's own parseArgs error (ERR_PARSE_ARGS_*) from code that calls
 * util.parseArgs directly rather than parseFlags.
 */
export function isUsageError(err: unknown): err is Error {
  return err instanceof UsageError || (err instanceof Error && isParseArgsError(err));
}

/**
 * Parses `args` strictly: an unknown flag, a flag without its value, a value given to a boolean
 * flag or an unexpected positional throws a UsageError that names it.
 */
export function parseFlags<const O extends FlagOptions>(
  args: readonly string[],
  options: O,
  { positionals = false }: { positionals?: boolean } = {},
): ParsedFlags<O> {
  try {
    return parseArgs({
      args: [...args],
      options,
      strict: true,
      allowPositionals: positionals,
    }) as ParsedFlags<O>;
  } catch (err) {
    if (!isParseArgsError(err)) throw err;
    throw new UsageError(problemIn(args, options, positionals) ?? (err as Error).message, { cause: err });
  }
}

/** Where a subcommand writes: `out` for its result, `err` for messages and problems. */
export interface CommandOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** The console, as a subcommand's default output. */
export const consoleOutput: CommandOutput = { out: (l) => console.log(l), err: (l) => console.error(l) };

export interface ParsedCommand<O extends FlagOptions> extends ParsedFlags<O> {
  /** Prints `problem` and the usage to `io.err`; returns exit code 2, for `return usage('…')`. */
  usage: (problem: string) => 2;
}

/**
 * A subcommand's command line (app/cli): its flags and positionals, as parseFlags reads them with
 * positionals allowed, and a `usage` for the problems found later. For a command line parseFlags
 * refuses, prints the problem and `usage` to `io.err` and returns undefined: the caller exits with 2.
 */
export function parseCommand<const O extends FlagOptions>(
  args: readonly string[],
  options: O,
  usage: string,
  io: CommandOutput,
): ParsedCommand<O> | undefined {
  const problem = (message: string): 2 => {
    io.err(`${message}\n${usage}`);
    return 2;
  };
  try {
    return { ...parseFlags(args, options, { positionals: true }), usage: problem };
  } catch (err) {
    if (!isUsageError(err)) throw err;
    problem(err.message);
    return undefined;
  }
}

/** What a numeric flag accepts besides a finite number. */
export interface NumberBounds {
  /** The smallest value allowed. */
  min?: number;
  /** Refuse `min` itself: a number > min. */
  exclusive?: boolean;
  /** Whole numbers only. */
  integer?: boolean;
}

/**
 * The number a flag's value spells (`name` without its dashes); undefined for a flag not given.
 * An empty, non-numeric or out-of-bounds value throws `--name: expected a number ≥ min, got "x"`.
 */
export function numberFlag(name: string, raw: string, bounds?: NumberBounds): number;
export function numberFlag(name: string, raw: string | undefined, bounds?: NumberBounds): number | undefined;
export function numberFlag(
  name: string,
  raw: string | undefined,
  bounds: NumberBounds = {},
): number | undefined {
  if (raw === undefined) return undefined;
  const { min, exclusive = false, integer = false } = bounds;
  const n = Number(raw);
  const inBounds = min === undefined || (exclusive ? n > min : n >= min);
  if (raw.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || !inBounds) {
    const range = min === undefined ? '' : ` ${exclusive ? '>' : '≥'} ${min}`;
    throw new UsageError(`--${name}: expected ${integer ? 'an integer' : 'a number'}${range}, got "${raw}"`);
  }
  return n;
}

/** Whether the module at `moduleUrl` is the script node was started with (not imported by a test). */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && resolve(script) === fileURLToPath(moduleUrl);
}

/** Runs a tool's main: exit code 2 with the usage for a UsageError, 1 with the stack for anything else. */
export function runTool(name: string, usage: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (isUsageError(err)) {
        console.error(`${name}: ${err.message}\n${usage}`);
        process.exit(2);
      }
      console.error(err);
      process.exit(1);
    },
  );
}

function isParseArgsError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/**
 * The first argument strict parsing refuses, in words. Node's messages name the option but not in a
 * form worth showing, so the arguments are read again as tokens, leniently, to find it.
 */
function problemIn(args: readonly string[], options: FlagOptions, positionals: boolean): string | undefined {
  const { tokens } = parseArgs({
    args: [...args],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const t of tokens) {
    if (t.kind === 'positional' && !positionals) return `unexpected argument "${t.value}"`;
    if (t.kind !== 'option') continue;
    const type = Object.hasOwn(options, t.name) ? options[t.name]?.type : undefined;
    if (type === undefined) return `unknown flag ${t.rawName}`;
    if (type === 'boolean' && t.value !== undefined) return `${t.rawName} takes no value`;
    if (type !== 'string') continue;
    if (t.value === undefined) return `${t.rawName} needs a value`;
    // Strict mode refuses a separate value that looks like a flag: more often a forgotten value.
    if (!t.inlineValue && t.value.length > 1 && t.value.startsWith('-'))
      return `${t.rawName} needs a value (write ${t.rawName}=${t.value} if "${t.value}" is meant as its value)`;
  }
  return undefined;
}

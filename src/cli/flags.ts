import * as v from "valibot";

/** A schema for the string parseArgs read for a flag. */
type ValueSchema = v.GenericSchema<string, unknown>;

/** One command-line flag, declared once: parseArgs reads it, valibot checks it, --help prints it. */
export interface Flag<S extends v.GenericSchema = v.GenericSchema> {
  /** parseArgs type: a switch is boolean, a flag with a value a string. */
  readonly type: "boolean" | "string";
  /** One-letter alias: `w` for `-w`. */
  readonly short?: string;
  /** The value's name in --help, e.g. `NAME`. */
  readonly value?: string;
  /** The value when the flag is absent, as typed on the command line; --help shows it. */
  readonly default?: string;
  /** Checks and converts what parseArgs read; an absent flag is undefined or its default. */
  readonly schema: S;
  /** The --help text; each further line continues under the first. */
  readonly help: string;
}

/** The flags of one command, by long name. */
export type Flags = Readonly<Record<string, Flag>>;

/** The validation schemas of `flags`, by flag name. */
export type FlagSchemas<F extends Flags> = { -readonly [K in keyof F]: F[K]["schema"] };

/** What `flags` parse to: each flag's schema output, optional where the flag may be absent. */
export type FlagValues<F extends Flags> = v.InferOutput<v.ObjectSchema<FlagSchemas<F>, undefined>>;

/** A switch: true when given. */
export function switchFlag(help: string, short?: string): Flag<v.OptionalSchema<v.BooleanSchema<undefined>, undefined>> {
  return { type: "boolean", ...(short ? { short } : {}), schema: v.optional(v.boolean()), help };
}

/** Where a value flag's value is named and what it is when absent. */
interface ValueOptions<D extends string | undefined> {
  /** The value's name in --help, e.g. `NAME`. */
  value?: string;
  short?: string;
  default?: D;
}

/** A flag taking a value, checked by `schema`; with a default it is never undefined. */
export function valueFlag<S extends ValueSchema, const D extends string | undefined = undefined>(
  schema: S,
  help: string,
  options: ValueOptions<D> = {},
): Flag<v.OptionalSchema<S, D>> {
  const { value, short, default: fallback } = options;
  return {
    type: "string",
    ...(short ? { short } : {}),
    ...(value ? { value } : {}),
    ...(fallback !== undefined ? { default: fallback } : {}),
    schema: v.optional(schema, fallback as v.Default<S, undefined> as D),
    help,
  };
}

/** The node:util parseArgs options of `flags`. */
export function parseArgsOptions(flags: Flags): Record<string, { type: "boolean" | "string"; short?: string }> {
  return Object.fromEntries(Object.entries(flags).map(([name, f]) => [name, { type: f.type, ...(f.short ? { short: f.short } : {}) }]));
}

/** One valibot object schema checking every flag of `flags`. */
export function flagsSchema<F extends Flags>(flags: F): v.ObjectSchema<FlagSchemas<F>, undefined> {
  return v.object(Object.fromEntries(Object.entries(flags).map(([name, f]) => [name, f.schema])) as FlagSchemas<F>);
}

/** The column where flag descriptions start in every --help. */
const HELP_COLUMN = 23;

/** The --help lines of the flags `names` (default: all of them, in order). */
export function flagHelp<F extends Flags>(flags: F, names: readonly (keyof F & string)[] = Object.keys(flags)): string {
  return names
    .map((name) => {
      const f = flags[name]!;
      const label = `  ${f.short ? `-${f.short}, ` : "    "}--${name}${f.value ? ` ${f.value}` : ""}`;
      const text = f.default !== undefined ? `${f.help} (default ${f.default})` : f.help;
      const [first, ...more] = text.split("\n");
      const head = label.length < HELP_COLUMN ? label.padEnd(HELP_COLUMN) : `${label} `;
      return [head + first, ...more.map((line) => " ".repeat(HELP_COLUMN) + line)].join("\n");
    })
    .join("\n");
}

import * as v from "valibot";
import { toJsonSchema } from "@valibot/to-json-schema";
import { ERROR_CODES, LOCAL_ERROR_CODES, NatterError, toError, type ErrorCode } from "../errors.ts";
import type { ToolCall, ToolSpec } from "./model.ts";

/** What a tool's `run` gets besides its arguments. */
export interface ToolRunContext {
  /** Fires when the handled message is abandoned (shutdown or deadline). */
  signal: AbortSignal;
}

/** A tool the model can call: validated arguments in, text (or JSON-able value) out. */
export interface Tool {
  readonly spec: ToolSpec;
  /** Validates the raw JSON arguments, runs the tool and returns the text given back to the model; never throws. */
  call(rawArguments: string, context: ToolRunContext): Promise<ToolOutcome>;
}

/** How a tool call ended: `ok` false means the model gets an error message to correct itself. */
export interface ToolOutcome {
  ok: boolean;
  content: string;
  /** Why a failed call failed: `bad_request` for arguments that fail the schema, else the thrown natter error's code (`internal` for any other error). */
  code?: ErrorCode;
}

/** Options of {@link tool}. */
export interface ToolOptions<TSchema extends v.GenericSchema> {
  /** Letters, digits, `_` and `-`, as the chat-completions API requires. */
  name: string;
  description: string;
  /** Schema of the arguments object; turned into JSON schema for the model and used to validate its calls. */
  parameters: TSchema;
  run(args: v.InferOutput<TSchema>, context: ToolRunContext): Promise<unknown> | unknown;
}

/** Makes a tool from a valibot schema and a function. */
export function tool<TSchema extends v.GenericSchema>(options: ToolOptions<TSchema>): Tool {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(options.name)) throw new TypeError(`tool name ${JSON.stringify(options.name)}: expected 1-64 letters, digits, '_' or '-'`);
  const { $schema: _, ...parameters } = toJsonSchema(options.parameters, { errorMode: "ignore" }) as Record<string, unknown>;
  return {
    spec: { name: options.name, description: options.description, parameters },
    async call(rawArguments, context) {
      let input: unknown;
      try {
        input = rawArguments.trim() === "" ? {} : JSON.parse(rawArguments);
      } catch {
        return { ok: false, code: ERROR_CODES.badRequest, content: `error: the arguments of ${options.name} are not valid JSON: ${rawArguments.slice(0, 200)}` };
      }
      const parsed = v.safeParse(options.parameters, input);
      if (!parsed.success) {
        const problems = parsed.issues.map((i) => `${v.getDotPath(i) ?? "arguments"}: ${i.message}`).join("; ");
        return { ok: false, code: ERROR_CODES.badRequest, content: `error: invalid arguments for ${options.name}: ${problems}. Call it again with arguments matching its schema.` };
      }
      try {
        const result = await options.run(parsed.output, context);
        return { ok: true, content: typeof result === "string" ? result : JSON.stringify(result ?? null) };
      } catch (err) {
        return { ok: false, code: err instanceof NatterError ? err.code : LOCAL_ERROR_CODES.internal, content: `error: ${options.name} failed: ${toError(err).message}` };
      }
    },
  };
}

/** Runs one model tool call against `tools`; an unknown name is reported back like any bad call. */
export async function runToolCall(tools: readonly Tool[], call: ToolCall, context: ToolRunContext): Promise<ToolOutcome> {
  const found = tools.find((t) => t.spec.name === call.name);
  if (!found) return { ok: false, code: LOCAL_ERROR_CODES.missing, content: `error: there is no tool named ${JSON.stringify(call.name)}; available: ${tools.map((t) => t.spec.name).join(", ")}` };
  return found.call(call.arguments, context);
}

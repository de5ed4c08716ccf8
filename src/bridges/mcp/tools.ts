import * as v from "valibot";
import type { Client } from "../../agent/client.ts";
import { LOCAL_ERROR_CODES, NatterError } from "../../errors.ts";
import { readThread, walkThread } from "../../inspect/thread.ts";
import { talkTools } from "../../llm/talk-tools.ts";
import { tool, type Tool } from "../../llm/tools.ts";
import { IdSchema, MAX_ID_LENGTH } from "../../protocol/tokens.ts";
import type { ThreadNode } from "../../inspect/types.ts";

/** Options of {@link networkTools}. */
export interface NetworkToolsOptions {
  /** How long ask_agent waits for an answer (ms). */
  askTimeoutMs: number;
}

/** Name of the tool that reads a stored conversation. */
export const READ_THREAD_TOOL = "read_thread";

/**
 * The agent network as tools: the talking tools natter's LLM agents use (ask, send, hand off, broadcast, list,
 * find), spoken as `client`, plus read_thread.
 */
export function networkTools(client: Client, options: NetworkToolsOptions): Tool[] {
  return [...talkTools(client, { askTimeoutMs: options.askTimeoutMs }), readThreadTool(client)];
}

function readThreadTool(client: Client): Tool {
  return tool({
    name: READ_THREAD_TOOL,
    description:
      "Read a stored conversation as a tree (each message under the one it answers). Requests and answers are not stored, so only direct messages, handoffs, broadcasts and notices appear.",
    parameters: v.object({ thread: v.pipe(v.string("must be a thread id"), v.check((s) => v.is(IdSchema, s), `must be a thread id: 1-${MAX_ID_LENGTH} characters without spaces, '.', '*' or '>'`), v.description("the thread id, as send_direct_message or hand_off_to_agent reported")) }),
    run: async ({ thread }, { signal }) => {
      const roots = await readThread(client.bus, thread, { signal });
      const messages = [...walkThread(roots)].length;
      if (messages === 0) throw new NatterError(`no stored messages in thread ${thread}`, LOCAL_ERROR_CODES.missing);
      return { thread, messages, roots: roots.map(nodeJson) };
    },
  });
}

// Leaner than `natter thread --json`: what a model reads, the envelope's text fields flattened.
function nodeJson({ message: m, replies }: ThreadNode): Record<string, unknown> {
  const e = m.envelope;
  return {
    seq: m.seq ?? null,
    channel: m.channel,
    time: m.time.toISOString(),
    ...(e ? { id: e.id, from: e.from, to: m.recipient ?? null, content: e.content, ...(Object.keys(e.metadata).length ? { metadata: e.metadata } : {}) } : { invalid: m.invalid }),
    ...(m.deadLetter ? { deadLetter: m.deadLetter } : {}),
    replies: replies.map(nodeJson),
  };
}

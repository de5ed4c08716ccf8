import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A chat-completions request body as the fake server received it. */
export interface FakeRequest {
  model: string;
  messages: Array<{ role: string; content?: string | null; tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>; tool_call_id?: string }>;
  tools?: Array<{ type: string; function: { name: string; description?: string; parameters?: Record<string, unknown> } }>;
}

/** What the fake answers to one chat-completions call. */
export type FakeReply =
  | { content: string; usage?: { prompt_tokens: number; completion_tokens: number } }
  | { toolCalls: Array<{ name: string; arguments: unknown }>; content?: string }
  | { status: number; error: string; headers?: Record<string, string> }
  | { hang: true };

/** Decides the reply to each call; `n` counts calls from 1. */
export type FakeResponder = (request: FakeRequest, n: number) => FakeReply;

/** A local HTTP server speaking the chat-completions wire API, for the real `openai` client. */
export interface FakeLLM {
  /** Base URL to use as OPENAI_BASE_URL, e.g. http://127.0.0.1:41234/v1. */
  readonly url: string;
  /** Every chat-completions request received, in order. */
  readonly requests: FakeRequest[];
  respond: FakeResponder;
  /** Clears the recorded requests and the call count, and answers with `respond` from now on. */
  reset(respond: FakeResponder): void;
  close(): Promise<void>;
}

/** Starts the fake on a random loopback port; `models` is what GET /v1/models lists. */
export async function startFakeLLM(respond: FakeResponder, models: string[] = ["fake-model"]): Promise<FakeLLM> {
  const requests: FakeRequest[] = [];
  const hanging = new Set<ServerResponse>();
  let calls = 0;
  let toolIds = 0;
  const fake: FakeLLM = {
    url: "",
    requests,
    respond,
    reset(next) {
      requests.length = 0;
      calls = 0;
      fake.respond = next;
    },
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method === "GET" && req.url === "/v1/models") {
      return send(res, 200, { object: "list", data: models.map((id) => ({ id, object: "model", created: 0, owned_by: "fake" })) });
    }
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") return send(res, 404, { error: { message: `no route ${req.method} ${req.url}` } });
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as FakeRequest;
    requests.push(body);
    if (!models.includes(body.model)) return send(res, 404, { error: { message: `model '${body.model}' not found`, type: "invalid_request_error", code: "model_not_found" } });
    const reply = fake.respond(body, ++calls);
    if ("hang" in reply) {
      hanging.add(res);
      res.on("close", () => hanging.delete(res));
      return;
    }
    if ("status" in reply) return send(res, reply.status, { error: { message: reply.error } }, reply.headers);
    const toolCalls = "toolCalls" in reply ? reply.toolCalls.map((c) => ({ id: `call_${++toolIds}`, type: "function", function: { name: c.name, arguments: typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments) } })) : undefined;
    const usage = "usage" in reply && reply.usage ? reply.usage : { prompt_tokens: 10, completion_tokens: 5 };
    send(res, 200, {
      id: `chatcmpl-${calls}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, finish_reason: toolCalls ? "tool_calls" : "stop", message: { role: "assistant", content: reply.content ?? null, ...(toolCalls ? { tool_calls: toolCalls } : {}) } }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as AddressInfo).port;
  Object.assign(fake, { url: `http://127.0.0.1:${port}/v1` });
  return fake;
}

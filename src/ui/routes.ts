import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { streamSSE } from "hono/streaming";
import * as v from "valibot";
import type { AgentContext } from "../agent/context.ts";
import { ERROR_CODES, LOCAL_ERROR_CODES, NatterError } from "../errors.ts";
import { getStoredMessage } from "../inspect/read.ts";
import { prepareRedelivery, redeliver } from "../inspect/redeliver.ts";
import type { Logger } from "../logger.ts";
import type { RegistryView } from "../registry/view.ts";
import type { Bus } from "../transport/bus.ts";
import { uiAgents, type BacklogOf } from "./agents.ts";
import type { Assets } from "./assets.ts";
import type { UiSnapshot, UiThread } from "./events.ts";
import { issueFailure, toApiFailure, type ApiFailure } from "./errors.ts";
import type { EdgeWindow } from "./graph.ts";
import type { HumanDesk } from "./human.ts";
import { toUiMessage, toUiThread } from "./message.ts";
import { AnswerSchema, FilterSchema, ReplaySchema, SendSchema, type SendBody } from "./schemas.ts";
import type { Hub } from "./sse.ts";
import { readConsoleThread } from "./thread.ts";
import type { TrafficTap } from "./traffic.ts";

/** Everything the routes use. */
export interface ConsoleParts {
  bus: Bus;
  registry: RegistryView;
  /** Each agent's sampled mailbox backlog. */
  backlog?: BacklogOf;
  traffic: TrafficTap;
  edges: EdgeWindow;
  hub: Hub;
  /** The person as an agent, unless the console runs without joining. */
  desk: HumanDesk | undefined;
  /** Who the person's messages come from: the human agent, or a plain client. */
  sender: AgentContext;
  assets: Assets;
  /** Host names a request may address (the bound host and loopback names); empty allows any. */
  allowedHosts: ReadonlySet<string>;
  log: Logger;
}

class ApiError extends Error {
  constructor(readonly failure: ApiFailure) {
    super(failure.body.error);
  }
}

/** The console's HTTP API, event stream and static files. */
export function createApp(parts: ConsoleParts): Hono {
  const { bus, registry, backlog, traffic, edges, hub, desk, sender, assets, log } = parts;
  const app = new Hono();
  const maxBytes = bus.config.maxMessageBytes;

  app.onError((err, c) => {
    const failure = err instanceof ApiError ? err.failure : toApiFailure(err);
    if (failure.status >= 500 && failure.status !== 503 && failure.status !== 504) log.error("ui.api_failed", { path: c.req.path, error: err });
    return c.json(failure.body, failure.status as 400);
  });
  app.notFound((c) => c.json({ error: `no such page or API: ${c.req.path}` }, 404));

  // A page on another site must not drive the console: check the Host (DNS rebinding) and require JSON posts (preflighted cross-origin).
  app.use("*", async (c, next) => {
    const host = (c.req.header("host") ?? "").replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
    if (parts.allowedHosts.size > 0 && !parts.allowedHosts.has(host)) return c.json({ error: `host "${host}" is not allowed; open the console at the address it printed` }, 403);
    if (c.req.method === "POST" && !(c.req.header("content-type") ?? "").startsWith("application/json")) {
      return c.json({ error: "send JSON (Content-Type: application/json)" }, 415);
    }
    return next();
  });
  app.use(
    "/api/*",
    bodyLimit({
      maxSize: maxBytes + 64 * 1024,
      onError: (c) => c.json({ error: `the message is over the ${maxBytes}-byte limit (NATTER_MAX_MESSAGE_BYTES)`, field: "content" }, 413),
    }),
  );

  for (const [path, asset] of assets.entries()) {
    app.get(path, (c) => c.body(asset.body, 200, { "content-type": asset.type, "cache-control": "no-cache" }));
  }

  app.get("/api/events", (c) => {
    const filter = parse(FilterSchema, Object.fromEntries(Object.entries(c.req.query()).filter(([, val]) => val !== "")));
    const snapshot: UiSnapshot = {
      human: desk?.name,
      staleAfterMs: bus.config.registryTtlMs,
      maxMessageBytes: maxBytes,
      agents: uiAgents(registry, backlog),
      messages: traffic.recent().map((h) => h.summary).slice(-500),
      edges: edges.edges(),
      edgeWindowMs: edges.windowMs,
      questions: desk?.questions() ?? [],
    };
    return streamSSE(c, (stream) => hub.serve(stream, filter, snapshot), async (err) => log.debug("ui.sse_failed", { error: err }));
  });

  app.get("/api/messages/:id", async (c) => {
    const heard = traffic.get(c.req.param("id"));
    if (heard) return c.json(heard.message);
    const seq = Number(c.req.query("seq"));
    if (!Number.isInteger(seq) || seq < 1) throw new NatterError(`message "${c.req.param("id")}" is no longer in the console's memory and has no stream sequence`, LOCAL_ERROR_CODES.missing);
    return c.json(await getStoredMessage(bus, seq));
  });

  app.get("/api/threads/:id", async (c) => {
    const thread = c.req.param("id");
    const { roots, count } = await readConsoleThread(bus, thread, traffic.recent().map((h) => h.message));
    const body: UiThread = { thread, roots: toUiThread(roots), count };
    return c.json(body);
  });

  app.post("/api/send", async (c) => {
    const body = parse(SendSchema, await json(c));
    return c.json(await send(body));
  });

  app.post("/api/answer", async (c) => {
    const body = parse(AnswerSchema, await json(c));
    if (!desk) throw new NatterError("this console did not join as an agent (started with --no-human)", ERROR_CODES.badRequest);
    desk.answer(body.id, body.content);
    return c.json({ ok: true });
  });

  app.post("/api/replay", async (c) => {
    const body = parse(ReplaySchema, await json(c));
    knownAgent(body.to);
    const prepared = await prepareRedelivery(bus, body.seq, body.to);
    const { envelope, seq } = await redeliver(bus, prepared);
    return c.json({ id: envelope.id, seq, to: body.to });
  });

  async function send(body: SendBody): Promise<Record<string, unknown>> {
    if (body.kind === "broadcast") {
      const sent = await sender.broadcastMessage(body.content);
      return { id: sent.envelope.id, seq: sent.seq };
    }
    const to = knownAgent(body.to!);
    if (body.kind === "request") {
      const response = await sender.requestFromAgent(to, body.content, { timeoutMs: body.timeoutMs });
      return { id: response.inReplyTo, response: toUiMessage({ seq: undefined, subject: "", channel: "response", recipient: sender.name, time: new Date(), envelope: response, invalid: undefined, deadLetter: undefined, error: undefined }, response.id) };
    }
    const sent = body.kind === "direct" ? await sender.sendDirectMessage(to, body.content) : await sender.handoffToAgent(to, body.content);
    return { id: sent.envelope.id, seq: sent.seq };
  }

  function knownAgent(name: string): string {
    if (!registry.has(name)) throw new ApiError({ status: 404, body: { error: `no agent named "${name}" is in the registry; pick one from the agents list`, field: "to" } });
    return name;
  }

  return app;
}

function parse<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (!result.success) throw new ApiError(issueFailure(result.issues));
  return result.output;
}

async function json(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new ApiError({ status: 400, body: { error: "the request body is not valid JSON" } });
  }
}

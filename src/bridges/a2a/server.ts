import { timingSafeEqual } from "node:crypto";
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { AGENT_CARD_PATH } from "@a2a-js/sdk";
import { Hono, type Context as HonoContext } from "hono";
import { bodyLimit } from "hono/body-limit";
import { streamSSE } from "hono/streaming";
import * as v from "valibot";
import { connectClient } from "../../agent/client.ts";
import type { Config } from "../../config/config.ts";
import { ConfigError } from "../../errors.ts";
import { createLogger, type Logger } from "../../logger.ts";
import { describeIssues } from "../../protocol/envelope.ts";
import { agentNameProblem } from "../../protocol/names.ts";
import { groupAgents } from "../../registry/query.ts";
import { RegistryView } from "../../registry/view.ts";
import { callMethod, type RpcDeps } from "./rpc.ts";
import { TaskStore } from "./tasks.ts";
import { A2aTokenSchema, DEFAULT_A2A_PORT, RPC_ERRORS, RpcRequestSchema, type RpcError } from "./wire.ts";

/** Largest JSON-RPC body accepted, in bytes, unless told. */
const DEFAULT_A2A_MAX_BODY_BYTES = 1024 * 1024;

/** How long a stopping bridge waits for its tasks' runs to end. */
const STOP_TASKS_MS = 2000;

/** Options of {@link startA2aBridge}. */
export interface A2aBridgeOptions {
  config: Config;
  /** TCP port; default 8090, 0 picks a free one. */
  port?: number;
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** When set, every HTTP request must carry `Authorization: Bearer {token}` (16+ visible characters). */
  token?: string;
  /** The address A2A clients reach the bridge at, written into the agent cards; default the bound address. */
  publicUrl?: string;
  /** Name the bridge speaks to natter agents as; default `a2a`. */
  name?: string;
  /** Largest JSON-RPC body, in bytes; default 1 MiB. */
  maxBodyBytes?: number;
  logger?: Logger;
}

/** A running bridge. */
export interface RunningA2aBridge {
  /** Base URL, e.g. http://127.0.0.1:8090; agent `Echo` is at {url}/agents/Echo/. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Serves every live natter agent as an A2A agent over JSON-RPC: a card and an endpoint under /agents/{name}/. */
export async function startA2aBridge(options: A2aBridgeOptions): Promise<RunningA2aBridge> {
  const { config } = options;
  const log = options.logger ?? createLogger({ level: config.logLevel, format: config.logFormat });
  if (options.token !== undefined && !v.is(A2aTokenSchema, options.token)) throw new ConfigError("A2A token: must be 16 to 512 visible ASCII characters without spaces");
  const client = await connectClient({ name: options.name ?? "a2a", config, logger: log });
  let view: RegistryView | undefined;
  let server: Server | undefined;
  try {
    view = await RegistryView.open(client.bus, { ttlMs: config.registryTtlMs, log });
    const registry = view;
    const deps: RpcDeps = { client, tasks: new TaskStore(), isLive: (name) => registry.liveInstances(name).length > 0, log };
    let base = options.publicUrl?.replace(/\/+$/, "") ?? "";
    const app = createRoutes(deps, registry, () => base, options);
    server = createAdaptorServer({ fetch: app.fetch }) as Server;
    // once() rejects on "error": a port in use fails the start.
    await once(server.listen(options.port ?? DEFAULT_A2A_PORT, options.host ?? "127.0.0.1"), "listening");
    const port = (server.address() as AddressInfo).port;
    const host = options.host ?? "127.0.0.1";
    const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    base ||= url;
    log.info("a2a.ready", { url, servers: config.servers.join(",") });
    const running = server;
    return {
      url,
      port,
      close: async () => {
        await new Promise<void>((resolve) => (running.close(() => resolve()), running.closeAllConnections()));
        // Before the connection goes: a task's run deletes its progress consumer as it ends.
        await deps.tasks.stop(STOP_TASKS_MS);
        registry.stop();
        await client.close();
      },
    };
  } catch (err) {
    server?.close();
    view?.stop();
    await client.close();
    throw err;
  }
}

function createRoutes(deps: RpcDeps, registry: RegistryView, base: () => string, options: A2aBridgeOptions): Hono {
  const app = new Hono();
  app.onError((err, c) => {
    deps.log.warn("a2a.http_failed", { path: c.req.path, error: err });
    return rpcReply(c, null, { code: RPC_ERRORS.internal, message: "internal error" }, 500);
  });
  if (options.token !== undefined) {
    const expected = Buffer.from(`Bearer ${options.token}`);
    app.use(async (c, next) => {
      const given = Buffer.from(c.req.header("authorization") ?? "");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        c.header("WWW-Authenticate", 'Bearer realm="natter-a2a"');
        return c.json({ error: "unauthorized: send Authorization: Bearer TOKEN" }, 401);
      }
      return next();
    });
  }
  const cardOf = (name: string) => {
    const agent = groupAgents(registry.liveInstances(name))[0];
    return agent ? agentCard(agent.name, agent.description, agent.capabilities, `${base()}/agents/${agent.name}`, options.token !== undefined) : undefined;
  };
  app.get("/agents", (c) => c.json({ agents: registry.names().flatMap((n) => cardOf(n) ?? []) }));
  app.get(`/agents/:name/${AGENT_CARD_PATH}`, (c) => {
    const name = c.req.param("name");
    const card = agentNameProblem(name) ? undefined : cardOf(name);
    return card ? c.json(card) : c.json({ error: `no running agent named ${JSON.stringify(name)}` }, 404);
  });
  const maxSize = options.maxBodyBytes ?? DEFAULT_A2A_MAX_BODY_BYTES;
  const limit = bodyLimit({
    maxSize,
    // The rest of the body is never read: the connection cannot carry another request, so the client must not reuse it.
    onError: (c) => (c.header("Connection", "close"), rpcReply(c, null, { code: RPC_ERRORS.invalidRequest, message: `request body is over ${maxSize} bytes` }, 413)),
  });
  const endpoint = async (c: HonoContext) => {
    const name = c.req.param("name") ?? "";
    const problem = agentNameProblem(name);
    if (problem) return rpcReply(c, null, { code: RPC_ERRORS.invalidRequest, message: `invalid agent name in path: ${problem}` }, 400);
    const text = await readBody(c, maxSize);
    if (text === undefined) return (c.header("Connection", "close"), rpcReply(c, null, { code: RPC_ERRORS.invalidRequest, message: `request body is over ${maxSize} bytes` }, 413));
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return rpcReply(c, null, { code: RPC_ERRORS.parse, message: "parse error: the body is not JSON" }, 400);
    }
    const request = v.safeParse(RpcRequestSchema, body);
    if (!request.success) return rpcReply(c, idOf(body), { code: RPC_ERRORS.invalidRequest, message: `invalid JSON-RPC request: ${describeIssues(request.issues)}` }, 400);
    const id = request.output.id ?? null;
    const outcome = await callMethod(deps, name, request.output.method, request.output.params);
    if (outcome.kind === "json") return outcome.error ? rpcReply(c, id, outcome.error, outcome.status) : c.json({ jsonrpc: "2.0", id, result: outcome.result });
    return streamSSE(c, async (sse) => {
      // A client that goes away stops getting events; the task runs on and GetTask still finds it.
      const emit = (result: unknown) => (sse.aborted ? Promise.resolve() : sse.writeSSE({ data: JSON.stringify({ jsonrpc: "2.0", id, result }) }).catch(() => undefined));
      await outcome.run(emit);
    });
  };
  app.post("/agents/:name", limit, endpoint);
  app.post("/agents/:name/", limit, endpoint);
  return app;
}

/** The A2A agent card of a natter agent: its capabilities become skills. */
function agentCard(name: string, description: string | undefined, capabilities: readonly string[], url: string, bearer: boolean): Record<string, unknown> {
  return {
    name,
    description: description ?? `natter agent ${name}`,
    supportedInterfaces: [{ url, protocolBinding: "JSONRPC", protocolVersion: "1.0" }],
    version: "1.0.0",
    capabilities: { streaming: true, pushNotifications: false, extendedAgentCard: false },
    ...(bearer ? { securitySchemes: { bearer: { httpAuthSecurityScheme: { scheme: "Bearer" } } }, securityRequirements: [{ schemes: { bearer: {} } }] } : {}),
    defaultInputModes: ["text/plain", "application/json"],
    defaultOutputModes: ["text/plain"],
    skills: capabilities.map((cap) => ({ id: cap, name: cap, description: `${name}: ${cap}`, tags: [cap] })),
  };
}

function rpcReply(c: HonoContext, id: string | number | null, error: RpcError, status: number): Response {
  return c.json({ jsonrpc: "2.0", id, error }, status as 200);
}

function idOf(body: unknown): string | number | null {
  const id = typeof body === "object" && body !== null ? (body as { id?: unknown }).id : undefined;
  return typeof id === "string" || typeof id === "number" ? id : null;
}

/** The request body as text, or undefined past `maxBytes`; read from Node's request when there is one (a Web stream over it costs a round of copies). */
async function readBody(c: HonoContext, maxBytes: number): Promise<string | undefined> {
  const incoming = (c.env as { incoming?: NodeJS.ReadableStream } | undefined)?.incoming;
  if (!incoming) return c.req.text();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming) {
    size += (chunk as Buffer).length;
    // bodyLimit has already refused a declared length over the limit; this catches a chunked body.
    if (size > maxBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

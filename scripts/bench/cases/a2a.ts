import { Role, TaskState, type SendMessageRequest } from "@a2a-js/sdk";
import { ClientFactory } from "@a2a-js/sdk/client";
import { connectClient } from "../../../src/agent/client.ts";
import { a2aMessage, A2A_TASK_PREFIX } from "../a2a-server.ts";
import type { BenchContext } from "../context.ts";
import { alternate, summarize } from "../measure.ts";
import { NATTER_ECHO_AGENT, PING } from "../names.ts";
import { spawnPeer } from "../peer.ts";
import { row, type Row } from "../report.ts";

/**
 * Case 6: the same sequential round trip over A2A with the official SDK: its server (Express, JSON-RPC) in a peer
 * process with an executor that echoes, its default client. Paths: a direct message answer, a task that completes,
 * and the streaming call (time to the final event). natter's side is requestFromAgent to an agent in a peer process;
 * it has no streamed progress, so each A2A path is set against the same natter request.
 */
export async function a2aCase(ctx: BenchContext): Promise<Row[]> {
  ctx.progress("A2A comparison");
  const [a2aPeer, natPeer, bridgePeer] = await Promise.all([spawnPeer("a2a-server", ctx.url), spawnPeer("natter-echo", ctx.url), spawnPeer("a2a-bridge", ctx.url)]);
  const natter = await connectClient({ name: "bench-a2a-compare", config: ctx.config, logger: ctx.logger });
  try {
    const a2a = await new ClientFactory().createFromUrl(String(a2aPeer.ready.url));
    // The same SDK client through `natter a2a` to natter's echo agent.
    const viaBridge = await bridgeClient(`${String(bridgePeer.ready.url)}/agents/${NATTER_ECHO_AGENT}/`);
    const request = (text: string): SendMessageRequest => ({ tenant: "", message: a2aMessage(Role.ROLE_USER, text), configuration: undefined, metadata: undefined });
    const taskText = `${A2A_TASK_PREFIX}${PING}`;
    await check(a2a.sendMessage(request(PING)), (r) => "parts" in r && r.parts[0]?.content?.$case === "text" && r.parts[0].content.value === PING, "message path");
    await check(a2a.sendMessage(request(taskText)), (r) => "status" in r && r.status?.state === TaskState.TASK_STATE_COMPLETED, "task path");
    await check(viaBridge.sendMessage(request(PING)), (r) => "parts" in r && r.parts[0]?.content?.$case === "text" && r.parts[0].content.value === PING, "natter a2a message path");
    const streamOf = (client: typeof a2a, text: string) => async () => {
      let last;
      for await (const ev of client.sendMessageStream(request(text))) last = ev;
      if (last?.payload?.$case !== "statusUpdate" || last.payload.value.status?.state !== TaskState.TASK_STATE_COMPLETED) throw new Error("A2A stream did not end with a completed status");
    };
    const stream = streamOf(a2a, taskText);
    const runs = await alternate(ctx.sizes.a2aRequests, {
      natter: () => natter.requestFromAgent(NATTER_ECHO_AGENT, PING, { timeoutMs: 5000 }),
      message: () => a2a.sendMessage(request(PING)),
      task: () => a2a.sendMessage(request(taskText)),
      stream,
      bridge: () => viaBridge.sendMessage(request(PING)),
      bridgeStream: streamOf(viaBridge, PING),
    });
    const nat = summarize(runs.natter);
    const msg = summarize(runs.message);
    const task = summarize(runs.task);
    const str = summarize(runs.stream);
    const bridge = summarize(runs.bridge);
    const bridgeStream = summarize(runs.bridgeStream);
    return [
      row("6 vs A2A message p50", "ms", "lower", nat.p50, msg.p50, "A2A message", { on: "ratio", kind: "max", limit: 0.25 }),
      row("6 vs A2A message p99", "ms", "lower", nat.p99, msg.p99, "A2A message"),
      row("6 vs A2A message rate", "req/s", "higher", nat.perSecond, msg.perSecond, "A2A message", { on: "ratio", kind: "min", limit: 4 }),
      row("6 vs A2A task p50", "ms", "lower", nat.p50, task.p50, "A2A task"),
      row("6 vs A2A task rate", "req/s", "higher", nat.perSecond, task.perSecond, "A2A task"),
      row("6 vs A2A stream to final p50", "ms", "lower", nat.p50, str.p50, "A2A stream"),
      // An A2A client's round trip to a natter agent through `natter a2a`, against the SDK's own server.
      row("6 A2A via natter a2a message p50", "ms", "lower", bridge.p50, msg.p50, "A2A message", { on: "ratio", kind: "max", limit: 1.3 }),
      row("6 A2A via natter a2a message p99", "ms", "lower", bridge.p99, msg.p99, "A2A message"),
      row("6 A2A via natter a2a stream to final p50", "ms", "lower", bridgeStream.p50, str.p50, "A2A stream"),
    ];
  } finally {
    await natter.close();
    await Promise.all([a2aPeer.stop(), natPeer.stop(), bridgePeer.stop()]);
  }
}

async function check<T>(result: Promise<T>, ok: (r: T) => boolean, what: string): Promise<void> {
  const r = await result;
  if (!ok(r)) throw new Error(`A2A ${what} answered unexpectedly: ${JSON.stringify(r).slice(0, 300)}`);
}

/** The SDK client of an agent behind `natter a2a`, once the bridge has seen the agent register (its card is there). */
async function bridgeClient(url: string): Promise<Awaited<ReturnType<ClientFactory["createFromUrl"]>>> {
  for (let tries = 0; ; tries++) {
    try {
      return await new ClientFactory().createFromUrl(url);
    } catch (err) {
      if (tries >= 100) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

import type { UiBatch, UiMessage, UiSnapshot } from "../events.ts";
import { AgentsView } from "./agents.ts";
import { call } from "./api.ts";
import { byId, el } from "./dom.ts";
import { FeedView } from "./feed.ts";
import { GraphView } from "./graph.ts";
import { HumanView } from "./human.ts";
import { fetchMessage, ThreadView } from "./thread.ts";

const agents = new AgentsView();
const graph = new GraphView();
const threads = new ThreadView(showError);
const human = new HumanView((t) => void threads.open(t), showError);
const feed = new FeedView({ openThread: (t) => void threads.open(t), showJson: (m) => void showJson(m), replay: (m) => askReplay(m) });
const connection = byId("connection");
let source: EventSource | undefined;
let maxMessageBytes = 1024 * 1024;

/** Shows an error in the page's banner until dismissed or replaced. */
function showError(message: string): void {
  const banner = byId("banner");
  banner.hidden = false;
  byId("banner-text").textContent = message;
}
byId("banner-close").addEventListener("click", () => (byId("banner").hidden = true));

function connect(): void {
  source?.close();
  const params = new URLSearchParams();
  for (const [key, id] of [["agent", "filter-agent"], ["type", "filter-type"], ["thread", "filter-thread"]] as const) {
    const value = byId<HTMLInputElement>(id).value.trim();
    if (value) params.set(key, value);
  }
  source = new EventSource(`/api/events?${params}`);
  source.addEventListener("snapshot", (ev) => {
    const s = JSON.parse((ev as MessageEvent<string>).data) as UiSnapshot;
    agents.staleAfterMs = s.staleAfterMs;
    graph.windowMs = s.edgeWindowMs;
    maxMessageBytes = s.maxMessageBytes;
    agents.reset(s.agents);
    feed.reset(s.messages);
    graph.render(s.edges);
    human.reset(s.questions);
    byId("identity").textContent = s.human ? `answering as “${s.human}”` : "watching only";
    connection.textContent = "live";
    connection.className = "live";
  });
  source.addEventListener("batch", (ev) => {
    const b = JSON.parse((ev as MessageEvent<string>).data) as UiBatch;
    agents.update(b.agents, b.removed);
    feed.add(b.messages, b.skipped);
    if (b.edges) graph.render(b.edges);
    human.add(b.questions);
    human.remove(b.answered);
    human.notices(b.notices);
  });
  source.addEventListener("error", () => {
    connection.textContent = "reconnecting…";
    connection.className = "down";
  });
}

async function showJson(m: UiMessage): Promise<void> {
  try {
    const full = await fetchMessage(m);
    byId("json-text").textContent = JSON.stringify(full, null, 2);
    byId("json").hidden = false;
  } catch (err) {
    showError((err as Error).message);
  }
}
byId("json-close").addEventListener("click", () => (byId("json").hidden = true));

let replaying: UiMessage | undefined;
function askReplay(m: UiMessage): void {
  replaying = m;
  byId("confirm-text").textContent = `Redeliver message #${m.seq} (${m.type} from ${m.from}${m.to ? ` to ${m.to}` : ""}) as a new copy to:`;
  byId<HTMLInputElement>("confirm-to").value = m.to ?? "";
  byId("confirm-error").textContent = "";
  byId("confirm").hidden = false;
}
byId("confirm-cancel").addEventListener("click", () => (byId("confirm").hidden = true));
byId("confirm-yes").addEventListener("click", async () => {
  if (!replaying) return;
  try {
    const r = await call<{ id: string; seq: number; to: string }>("/api/replay", { seq: replaying.seq, to: byId<HTMLInputElement>("confirm-to").value });
    byId("confirm").hidden = true;
    byId("send-result").textContent = `Redelivered to ${r.to} as ${r.id} (stream #${r.seq}).`;
  } catch (err) {
    byId("confirm-error").textContent = (err as Error).message;
  }
});

byId<HTMLFormElement>("send").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const kind = byId<HTMLSelectElement>("send-kind").value;
  const to = byId<HTMLInputElement>("send-to").value.trim();
  const content = byId<HTMLTextAreaElement>("send-content").value;
  const error = byId("send-error");
  const result = byId("send-result");
  error.textContent = "";
  result.textContent = "";
  // Checked here for a quick answer; the server checks again.
  if (new TextEncoder().encode(content).length > maxMessageBytes) {
    error.textContent = `the message is over the ${maxMessageBytes}-byte limit`;
    return;
  }
  const button = byId<HTMLButtonElement>("send-button");
  button.disabled = true;
  try {
    const r = await call<{ id: string; seq?: number; response?: UiMessage }>("/api/send", { kind, ...(kind === "broadcast" ? {} : { to }), content });
    result.replaceChildren(r.response ? el("span", {}, `${r.response.from} answered: `, el("q", { class: "response" }, r.response.preview)) : `Sent ${kind} ${r.id}${r.seq ? ` (stream #${r.seq})` : ""}.`);
    byId<HTMLTextAreaElement>("send-content").value = "";
  } catch (err) {
    error.textContent = (err as Error).message;
  } finally {
    button.disabled = false;
  }
});
byId<HTMLSelectElement>("send-kind").addEventListener("change", (ev) => {
  byId<HTMLInputElement>("send-to").disabled = (ev.target as HTMLSelectElement).value === "broadcast";
});

byId<HTMLFormElement>("filters").addEventListener("submit", (ev) => {
  ev.preventDefault();
  connect();
});
byId("filters-clear").addEventListener("click", () => {
  for (const id of ["filter-agent", "filter-type", "filter-thread"]) byId<HTMLInputElement>(id).value = "";
  connect();
});

setInterval(() => agents.tick(), 1000);
connect();

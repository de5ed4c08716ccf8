"use strict";
(() => {
  // src/ui/web/dom.ts
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, val] of Object.entries(attrs)) {
      if (val === void 0 || val === false) continue;
      if (k === "class") node.className = String(val);
      else node.setAttribute(k, val === true ? "" : String(val));
    }
    for (const c of children) if (c !== null && c !== void 0 && c !== false) node.append(c);
    return node;
  }
  function byId(id) {
    const node = document.getElementById(id);
    if (!node) throw new Error(`page has no #${id}`);
    return node;
  }
  function age(iso, now = Date.now()) {
    const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1e3));
    if (s < 60) return `${s} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min`;
    return `${Math.floor(s / 3600)} h`;
  }
  function clock(iso) {
    return iso.slice(11, 23);
  }
  function svg(tag, attrs = {}) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, val] of Object.entries(attrs)) node.setAttribute(k, String(val));
    return node;
  }

  // src/ui/web/agents.ts
  var AgentsView = class {
    #rows = /* @__PURE__ */ new Map();
    #body = byId("agents-body");
    #count = byId("agents-count");
    #names = byId("agent-names");
    /** Rows on screen: only these are re-aged every second. */
    #visible = /* @__PURE__ */ new Set();
    #byTr = /* @__PURE__ */ new WeakMap();
    #observer = new IntersectionObserver(
      (entries) => {
        for (const e of entries) {
          const row = this.#byTr.get(e.target);
          if (!row) continue;
          if (e.isIntersecting) this.#visible.add(row);
          else this.#visible.delete(row);
        }
      },
      { root: byId("agents-body").closest(".scroll") }
    );
    staleAfterMs = 9e4;
    /** Replaces everything (a new snapshot). */
    reset(agents2) {
      this.#rows.clear();
      this.#visible.clear();
      this.#observer.disconnect();
      const sorted = [...agents2].sort((a, b) => a.name < b.name ? -1 : 1);
      this.#body.replaceChildren(...sorted.map((a) => this.#create(a).tr));
      this.#refreshNames();
    }
    update(agents2, removed) {
      let namesChanged = false;
      for (const name of removed) {
        const gone = this.#rows.get(name);
        if (gone) gone.tr.remove(), this.#observer.unobserve(gone.tr), this.#visible.delete(gone);
        namesChanged = this.#rows.delete(name) || namesChanged;
      }
      for (const agent of agents2) {
        const row = this.#rows.get(agent.name);
        if (row) {
          row.agent = agent;
          this.#fill(row, Date.now());
        } else {
          this.#insert(agent.name, this.#create(agent).tr);
          namesChanged = true;
        }
      }
      if (namesChanged) this.#refreshNames();
    }
    /** Re-ages every row; an instance silent past the registry TTL shows offline even before the server says so. */
    tick() {
      const now = Date.now();
      for (const row of this.#visible) this.#fill(row, now);
    }
    #status(agent, now) {
      return now - Date.parse(agent.lastHeartbeat) > this.staleAfterMs ? "offline" : agent.status;
    }
    #create(agent) {
      const status = el("span", { class: "status" });
      const instances = el("td", { class: "num" });
      const caps = el("td", { class: "caps" });
      const ageCell = el("td", { class: "age num" });
      const handled = el("td", { class: "num handled" });
      const tr = el("tr", { "data-agent": agent.name }, el("td", { class: "name" }, agent.name), el("td", {}, status), instances, caps, ageCell, handled);
      const row = { agent, tr, status, instances, caps, age: ageCell, handled, shown: /* @__PURE__ */ new Map() };
      this.#rows.set(agent.name, row);
      this.#byTr.set(tr, row);
      this.#observer.observe(tr);
      this.#fill(row, Date.now());
      return row;
    }
    /** Writes only the cells whose text changed: the table stays cheap to lay out. */
    #fill(row, now) {
      const a = row.agent;
      const status = this.#status(a, now);
      if (row.tr.dataset.status !== status) {
        row.tr.dataset.status = status;
        row.status.textContent = status;
        row.status.className = `status ${status}`;
      }
      const set = (cell, text) => {
        if (row.shown.get(cell) === text) return;
        row.shown.set(cell, text);
        cell.textContent = text;
      };
      set(row.instances, `${a.instances.filter((i) => i.status !== "offline").length}/${a.instances.length}`);
      set(row.caps, a.capabilities.join(", "));
      set(row.age, age(a.lastHeartbeat, now));
      set(row.handled, String(a.handled));
      if (row.tr.title !== a.description) row.tr.title = a.description;
    }
    #insert(name, tr) {
      let before;
      for (const [n, r] of this.#rows) if (n > name && r.tr.isConnected && (!before || n < (before.dataset.agent ?? ""))) before = r.tr;
      if (before) this.#body.insertBefore(tr, before);
      else this.#body.append(tr);
    }
    #refreshNames() {
      this.#count.textContent = String(this.#rows.size);
      this.#names.replaceChildren(...[...this.#rows.keys()].sort().map((n) => el("option", { value: n })));
    }
  };

  // src/ui/web/api.ts
  var ApiCallError = class extends Error {
    constructor(message, status, field) {
      super(message);
      this.status = status;
      this.field = field;
    }
    status;
    field;
  };
  async function call(path, body) {
    let res;
    try {
      res = await fetch(path, body === void 0 ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    } catch (err) {
      throw new ApiCallError(`the console server is not reachable: ${err.message}`, 0);
    }
    const text = await res.text();
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ApiCallError(`the server answered ${res.status} with something that is not JSON`, res.status);
    }
    if (!res.ok) {
      const e = parsed;
      throw new ApiCallError(e.error ?? `request failed with status ${res.status}`, res.status, e.field);
    }
    return parsed;
  }

  // src/ui/web/feed.ts
  var FEED_LIMIT = 250;
  var ROWS_PER_UPDATE = 25;
  var REPLAYABLE = /* @__PURE__ */ new Set(["direct", "handoff", "response"]);
  var FeedView = class {
    constructor(actions) {
      this.actions = actions;
      this.#body.addEventListener("click", (ev) => this.#click(ev));
    }
    actions;
    #body = byId("feed-body");
    #skipped = byId("feed-skipped");
    #messages = /* @__PURE__ */ new Map();
    #skippedTotal = 0;
    reset(messages) {
      this.#messages.clear();
      this.#body.replaceChildren();
      this.#skippedTotal = 0;
      this.#skipped.textContent = "";
      this.add(messages, 0, FEED_LIMIT);
    }
    /** Adds messages (oldest first) at the top, drawing at most `limit` of them. */
    add(messages, skipped, limit = ROWS_PER_UPDATE) {
      const fresh = messages.slice(-limit);
      skipped += messages.length - fresh.length;
      const frag = document.createDocumentFragment();
      for (let i = fresh.length - 1; i >= 0; i--) {
        const m = fresh[i];
        this.#messages.set(m.id, m);
        frag.append(this.#row(m));
      }
      this.#body.prepend(frag);
      const rows = this.#body.rows;
      if (rows.length > FEED_LIMIT) {
        for (let i = FEED_LIMIT; i < rows.length; i++) this.#messages.delete(rows[i].dataset.id ?? "");
        const range = document.createRange();
        range.setStartBefore(rows[FEED_LIMIT]);
        range.setEndAfter(rows[rows.length - 1]);
        range.deleteContents();
      }
      if (skipped > 0) {
        this.#skippedTotal += skipped;
        this.#skipped.textContent = `${this.#skippedTotal} messages not drawn (more than the page shows per update; narrow the filters to see all)`;
      }
    }
    #row(m) {
      const replayable = m.seq !== void 0 && (REPLAYABLE.has(m.type) || m.channel === "deadLetter");
      return el(
        "tr",
        { "data-id": m.id, "data-type": m.type, class: m.error ? "failed" : void 0 },
        el("td", { class: "time" }, clock(m.timestamp)),
        el("td", {}, el("span", { class: `type ${m.type}` }, m.channel === "deadLetter" ? "dead letter" : m.type)),
        el("td", { class: "route" }, m.from, " → ", m.to ?? "everyone"),
        el("td", {}, el("a", { href: "#", class: "thread", "data-thread": m.thread }, m.thread.slice(-8))),
        el("td", { class: "preview" }, m.error ? el("span", { class: "err" }, m.error, " ") : null, m.preview),
        el(
          "td",
          { class: "actions" },
          el("button", { class: "json", type: "button" }, "JSON"),
          replayable ? el("button", { class: "replay", type: "button" }, "Replay") : null
        )
      );
    }
    #click(ev) {
      const target = ev.target;
      const row = target.closest("tr");
      const m = row ? this.#messages.get(row.dataset.id ?? "") : void 0;
      if (!m) return;
      if (target.matches("a.thread")) {
        ev.preventDefault();
        this.actions.openThread(m.thread);
      } else if (target.matches("button.json")) this.actions.showJson(m);
      else if (target.matches("button.replay")) this.actions.replay(m);
    }
  };

  // src/ui/web/graph.ts
  var MAX_EDGES = 60;
  var SIZE = 420;
  var GraphView = class {
    #svg = byId("graph");
    #caption = byId("graph-caption");
    windowMs = 6e4;
    render(edges) {
      const shown = edges.slice(0, MAX_EDGES);
      const names = [...new Set(shown.flatMap((e) => [e.from, e.to]))].sort();
      const r = SIZE / 2 - 60;
      const pos = new Map(names.map((n, i) => [n, { x: SIZE / 2 + r * Math.cos(2 * Math.PI * i / names.length - Math.PI / 2), y: SIZE / 2 + r * Math.sin(2 * Math.PI * i / names.length - Math.PI / 2) }]));
      const defs = svg("defs");
      for (const [id, colour] of [["arrow", "#7a8699"], ["arrow-handoff", "#e8833a"]]) {
        const marker = svg("marker", { id, viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: "userSpaceOnUse", orient: "auto" });
        marker.append(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: colour }));
        defs.append(marker);
      }
      const max = Math.max(1, ...shown.map((e) => e.count));
      const lines = shown.map((e) => {
        const a = pos.get(e.from);
        const b = pos.get(e.to);
        const handoff = e.handoffs > 0;
        const g = svg("g", { class: handoff ? "edge handoff" : "edge" });
        const dx = b.x - a.x;
        const dy = b.y - a.y;
        const len = Math.hypot(dx, dy) || 1;
        const c = { x: (a.x + b.x) / 2 - dy / len * 24, y: (a.y + b.y) / 2 + dx / len * 24 };
        const ex = b.x - c.x;
        const ey = b.y - c.y;
        const elen = Math.hypot(ex, ey) || 1;
        const end = { x: b.x - ex / elen * 10, y: b.y - ey / elen * 10 };
        const line = svg("path", { d: `M ${a.x} ${a.y} Q ${c.x} ${c.y} ${end.x} ${end.y}`, fill: "none", "stroke-width": 1 + 4 * Math.sqrt(e.count / max), "marker-end": `url(#${handoff ? "arrow-handoff" : "arrow"})` });
        const title = svg("title");
        title.textContent = `${e.from} → ${e.to}: ${e.count} messages${handoff ? `, ${e.handoffs} handoffs` : ""}`;
        const label = svg("text", { x: (a.x + 2 * c.x + b.x) / 4, y: (a.y + 2 * c.y + b.y) / 4 - 3, class: "count" });
        label.textContent = String(e.count);
        g.append(title, line, label);
        return g;
      });
      const nodes = names.map((n) => {
        const p = pos.get(n);
        const g = svg("g", { class: "node", "data-agent": n });
        const label = svg("text", { x: p.x, y: p.y + (p.y > SIZE / 2 ? 20 : -12) });
        label.textContent = n;
        g.append(svg("circle", { cx: p.x, cy: p.y, r: 7 }), label);
        return g;
      });
      this.#svg.replaceChildren(defs, ...lines, ...nodes);
      const total = edges.reduce((n, e) => n + e.count, 0);
      const hidden = edges.length - shown.length;
      this.#caption.textContent = edges.length === 0 ? `no addressed messages in the last ${Math.round(this.windowMs / 1e3)} s` : `${total} messages in the last ${Math.round(this.windowMs / 1e3)} s${hidden > 0 ? `; ${hidden} lighter pairs not drawn` : ""}`;
    }
  };

  // src/ui/web/human.ts
  var NOTICE_LIMIT = 50;
  var HumanView = class {
    constructor(openThread, showError2) {
      this.openThread = openThread;
      this.showError = showError2;
      this.#questions.addEventListener("click", (ev) => void this.#click(ev));
    }
    openThread;
    showError;
    #questions = byId("questions");
    #notices = byId("notices");
    #count = byId("questions-count");
    reset(questions) {
      this.#questions.replaceChildren();
      this.add(questions);
    }
    add(questions) {
      for (const q of questions) {
        if (this.#questions.querySelector(`[data-id="${CSS.escape(q.id)}"]`)) continue;
        this.#questions.append(
          el(
            "div",
            { class: "question", "data-id": q.id },
            el("div", { class: "meta" }, el("span", { class: `type ${q.type}` }, q.type), ` from ${q.from} at ${clock(q.receivedAt)} · `, el("a", { href: "#", class: "thread", "data-thread": q.thread }, "thread"), q.redelivered ? " · waited through a restart" : ""),
            el("div", { class: "content" }, q.content),
            el("textarea", { class: "answer-text", rows: 2, placeholder: q.type === "request" ? "Your answer (sent as the response)" : "Your reply (sent back as the completion notice)" }),
            el("div", { class: "row" }, el("button", { class: "answer", type: "button" }, q.type === "request" ? "Answer" : "Reply and close"), el("span", { class: "error" }))
          )
        );
      }
      this.#refreshCount();
    }
    remove(ids) {
      for (const id of ids) this.#questions.querySelector(`[data-id="${CSS.escape(id)}"]`)?.remove();
      this.#refreshCount();
    }
    notices(notices) {
      for (const n of notices) {
        this.#notices.prepend(el("li", { "data-id": n.id }, el("span", { class: "time" }, clock(n.timestamp)), ` ${n.from}: `, n.content));
      }
      while (this.#notices.children.length > NOTICE_LIMIT) this.#notices.lastElementChild?.remove();
    }
    #refreshCount() {
      const n = this.#questions.children.length;
      this.#count.textContent = n === 0 ? "nothing waiting" : `${n} waiting`;
    }
    async #click(ev) {
      const target = ev.target;
      const box = target.closest(".question");
      if (!box) return;
      if (target.matches("a.thread")) {
        ev.preventDefault();
        return this.openThread(target.dataset.thread ?? "");
      }
      if (!target.matches("button.answer")) return;
      const error = box.querySelector(".error");
      const text = box.querySelector("textarea");
      error.textContent = "";
      target.disabled = true;
      try {
        await call("/api/answer", { id: box.dataset.id, content: text.value });
        box.classList.add("answered");
      } catch (err) {
        error.textContent = err.message;
      } finally {
        target.disabled = false;
      }
    }
  };

  // src/ui/web/thread.ts
  var ThreadView = class {
    constructor(showError2) {
      this.showError = showError2;
      byId("thread-close").addEventListener("click", () => this.#panel.hidden = true);
      this.#tree.addEventListener("click", (ev) => void this.#click(ev));
    }
    showError;
    #panel = byId("thread");
    #title = byId("thread-title");
    #tree = byId("thread-tree");
    #nodes = /* @__PURE__ */ new Map();
    async open(thread) {
      this.#panel.hidden = false;
      this.#title.textContent = `Thread ${thread}`;
      this.#tree.replaceChildren(el("p", { class: "muted" }, "reading the stream…"));
      try {
        const t = await call(`/api/threads/${encodeURIComponent(thread)}`);
        this.#nodes.clear();
        this.#tree.replaceChildren(t.count === 0 ? el("p", { class: "muted" }, "no stored messages in this thread") : this.#list(t.roots));
      } catch (err) {
        this.#tree.replaceChildren(el("p", { class: "error" }, err.message));
      }
    }
    #list(nodes) {
      return el(
        "ul",
        {},
        ...nodes.map((n) => {
          const m = n.message;
          const key = `${m.id}-${m.seq ?? "core"}`;
          this.#nodes.set(key, m);
          return el(
            "li",
            { "data-id": m.id, "data-key": key },
            el("div", { class: "entry" }, el("span", { class: "time" }, clock(m.timestamp)), " ", el("span", { class: `type ${m.type}` }, m.type), ` ${m.from} → ${m.to ?? "everyone"} `, m.seq === void 0 ? el("span", { class: "muted" }, "(not stored) ") : null, el("span", { class: "content" }, m.preview), " ", el("button", { class: "json", type: "button" }, "JSON")),
            n.replies.length > 0 ? this.#list(n.replies) : null
          );
        })
      );
    }
    async #click(ev) {
      const target = ev.target;
      if (!target.matches("button.json")) return;
      const li = target.closest("li");
      const m = this.#nodes.get(li.dataset.key ?? "");
      if (!m) return;
      const existing = li.querySelector(":scope > pre");
      if (existing) return void existing.remove();
      try {
        const full = await fetchMessage(m);
        li.querySelector(":scope > .entry").after(el("pre", { class: "json" }, JSON.stringify(full, null, 2)));
      } catch (err) {
        this.showError(err.message);
      }
    }
  };
  function fetchMessage(m) {
    return call(`/api/messages/${encodeURIComponent(m.id)}${m.seq !== void 0 ? `?seq=${m.seq}` : ""}`);
  }

  // src/ui/web/main.ts
  var agents = new AgentsView();
  var graph = new GraphView();
  var threads = new ThreadView(showError);
  var human = new HumanView((t) => void threads.open(t), showError);
  var feed = new FeedView({ openThread: (t) => void threads.open(t), showJson: (m) => void showJson(m), replay: (m) => askReplay(m) });
  var connection = byId("connection");
  var source;
  var maxMessageBytes = 1024 * 1024;
  function showError(message) {
    const banner = byId("banner");
    banner.hidden = false;
    byId("banner-text").textContent = message;
  }
  byId("banner-close").addEventListener("click", () => byId("banner").hidden = true);
  function connect() {
    source?.close();
    const params = new URLSearchParams();
    for (const [key, id] of [["agent", "filter-agent"], ["type", "filter-type"], ["thread", "filter-thread"]]) {
      const value = byId(id).value.trim();
      if (value) params.set(key, value);
    }
    source = new EventSource(`/api/events?${params}`);
    source.addEventListener("snapshot", (ev) => {
      const s = JSON.parse(ev.data);
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
      const b = JSON.parse(ev.data);
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
  async function showJson(m) {
    try {
      const full = await fetchMessage(m);
      byId("json-text").textContent = JSON.stringify(full, null, 2);
      byId("json").hidden = false;
    } catch (err) {
      showError(err.message);
    }
  }
  byId("json-close").addEventListener("click", () => byId("json").hidden = true);
  var replaying;
  function askReplay(m) {
    replaying = m;
    byId("confirm-text").textContent = `Redeliver message #${m.seq} (${m.type} from ${m.from}${m.to ? ` to ${m.to}` : ""}) as a new copy to:`;
    byId("confirm-to").value = m.to ?? "";
    byId("confirm-error").textContent = "";
    byId("confirm").hidden = false;
  }
  byId("confirm-cancel").addEventListener("click", () => byId("confirm").hidden = true);
  byId("confirm-yes").addEventListener("click", async () => {
    if (!replaying) return;
    try {
      const r = await call("/api/replay", { seq: replaying.seq, to: byId("confirm-to").value });
      byId("confirm").hidden = true;
      byId("send-result").textContent = `Redelivered to ${r.to} as ${r.id} (stream #${r.seq}).`;
    } catch (err) {
      byId("confirm-error").textContent = err.message;
    }
  });
  byId("send").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const kind = byId("send-kind").value;
    const to = byId("send-to").value.trim();
    const content = byId("send-content").value;
    const error = byId("send-error");
    const result = byId("send-result");
    error.textContent = "";
    result.textContent = "";
    if (new TextEncoder().encode(content).length > maxMessageBytes) {
      error.textContent = `the message is over the ${maxMessageBytes}-byte limit`;
      return;
    }
    const button = byId("send-button");
    button.disabled = true;
    try {
      const r = await call("/api/send", { kind, ...kind === "broadcast" ? {} : { to }, content });
      result.replaceChildren(r.response ? el("span", {}, `${r.response.from} answered: `, el("q", { class: "response" }, r.response.preview)) : `Sent ${kind} ${r.id}${r.seq ? ` (stream #${r.seq})` : ""}.`);
      byId("send-content").value = "";
    } catch (err) {
      error.textContent = err.message;
    } finally {
      button.disabled = false;
    }
  });
  byId("send-kind").addEventListener("change", (ev) => {
    byId("send-to").disabled = ev.target.value === "broadcast";
  });
  byId("filters").addEventListener("submit", (ev) => {
    ev.preventDefault();
    connect();
  });
  byId("filters-clear").addEventListener("click", () => {
    for (const id of ["filter-agent", "filter-type", "filter-thread"]) byId(id).value = "";
    connect();
  });
  setInterval(() => agents.tick(), 1e3);
  connect();
})();

import type { UiNotice, UiQuestion } from "../events.ts";
import { call } from "./api.ts";
import { byId, clock, el } from "./dom.ts";

/** Notices kept on the page. */
const NOTICE_LIMIT = 50;

/** The person's inbox: questions agents wait on (answer them here) and notices that came back. */
export class HumanView {
  readonly #questions = byId("questions");
  readonly #notices = byId("notices");
  readonly #count = byId("questions-count");

  constructor(
    readonly openThread: (thread: string) => void,
    readonly showError: (message: string) => void,
  ) {
    this.#questions.addEventListener("click", (ev) => void this.#click(ev));
  }

  reset(questions: readonly UiQuestion[]): void {
    this.#questions.replaceChildren();
    this.add(questions);
  }

  add(questions: readonly UiQuestion[]): void {
    for (const q of questions) {
      if (this.#questions.querySelector(`[data-id="${CSS.escape(q.id)}"]`)) continue;
      this.#questions.append(
        el(
          "div",
          { class: "question", "data-id": q.id },
          el("div", { class: "meta" }, el("span", { class: `type ${q.type}` }, q.type), ` from ${q.from} at ${clock(q.receivedAt)} · `, el("a", { href: "#", class: "thread", "data-thread": q.thread }, "thread"), q.redelivered ? " · waited through a restart" : ""),
          el("div", { class: "content" }, q.content),
          el("textarea", { class: "answer-text", rows: 2, placeholder: q.type === "request" ? "Your answer (sent as the response)" : "Your reply (sent back as the completion notice)" }),
          el("div", { class: "row" }, el("button", { class: "answer", type: "button" }, q.type === "request" ? "Answer" : "Reply and close"), el("span", { class: "error" })),
        ),
      );
    }
    this.#refreshCount();
  }

  remove(ids: readonly string[]): void {
    for (const id of ids) this.#questions.querySelector(`[data-id="${CSS.escape(id)}"]`)?.remove();
    this.#refreshCount();
  }

  notices(notices: readonly UiNotice[]): void {
    for (const n of notices) {
      this.#notices.prepend(el("li", { "data-id": n.id }, el("span", { class: "time" }, clock(n.timestamp)), ` ${n.from}: `, n.content));
    }
    while (this.#notices.children.length > NOTICE_LIMIT) this.#notices.lastElementChild?.remove();
  }

  #refreshCount(): void {
    const n = this.#questions.children.length;
    this.#count.textContent = n === 0 ? "nothing waiting" : `${n} waiting`;
  }

  async #click(ev: Event): Promise<void> {
    const target = ev.target as HTMLElement;
    const box = target.closest<HTMLElement>(".question");
    if (!box) return;
    if (target.matches("a.thread")) {
      ev.preventDefault();
      return this.openThread(target.dataset.thread ?? "");
    }
    if (!target.matches("button.answer")) return;
    const error = box.querySelector<HTMLElement>(".error")!;
    const text = box.querySelector<HTMLTextAreaElement>("textarea")!;
    error.textContent = "";
    (target as HTMLButtonElement).disabled = true;
    try {
      await call("/api/answer", { id: box.dataset.id, content: text.value });
      box.classList.add("answered");
    } catch (err) {
      error.textContent = (err as Error).message;
    } finally {
      (target as HTMLButtonElement).disabled = false;
    }
  }
}

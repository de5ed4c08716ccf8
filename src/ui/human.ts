import { AbortedError, LOCAL_ERROR_CODES } from "../errors.ts";
import { defineAgent, type AgentDefinition } from "../agent/define.ts";
import type { Envelope } from "../protocol/envelope.ts";
import { NatterError } from "../errors.ts";
import type { UiNotice, UiQuestion } from "./events.ts";

/** Most questions waiting on the person at once; the rest wait in the mailbox or are refused as overloaded. */
const MAX_OPEN_QUESTIONS = 256;

interface Open {
  question: UiQuestion;
  answer(content: string): void;
}

/** Options of {@link HumanDesk}. */
export interface HumanDeskOptions {
  /** Agent name the console joins as; default `human`. */
  name?: string;
  /** Called when a question arrives or is settled (answered, withdrawn, or handed back at shutdown). */
  onQuestion(question: UiQuestion): void;
  onSettled(id: string): void;
  /** Called for completion notices and responses that reach the human's mailbox. */
  onNotice(notice: UiNotice): void;
}

/**
 * The person as an agent. A request waits here until the person answers (the answer is the response);
 * a direct message or handoff stays unacknowledged in the mailbox until answered (the answer is the
 * completion notice), so one the console is stopped before answering comes back at the next start.
 */
export class HumanDesk {
  readonly name: string;
  readonly definition: AgentDefinition;
  readonly #open = new Map<string, Open>();
  readonly #options: HumanDeskOptions;

  constructor(options: HumanDeskOptions) {
    this.#options = options;
    this.name = options.name ?? "human";
    this.definition = defineAgent({
      name: this.name,
      description: "A person at the natter console",
      capabilities: ["human"],
      concurrency: MAX_OPEN_QUESTIONS,
      onRequest: (msg, ctx) => this.#ask(msg, ctx.signal, false),
      onMessage: (msg, ctx) => this.#ask(msg, ctx.signal, ctx.redelivered),
      onResponse: (msg) => {
        this.#options.onNotice({ id: msg.id, from: msg.from, thread: msg.threadId ?? msg.id, content: msg.content, timestamp: msg.timestamp });
      },
    });
  }

  /** Questions waiting for the person, oldest first. */
  questions(): UiQuestion[] {
    return [...this.#open.values()].map((o) => o.question);
  }

  /** Answers question `id`; throws a NatterError (code {@link LOCAL_ERROR_CODES.missing}) when nothing waits under that id. */
  answer(id: string, content: string): void {
    const open = this.#open.get(id);
    if (!open) throw new NatterError(`no question "${id}" is waiting: it was answered already, withdrawn, or its asker gave up`, LOCAL_ERROR_CODES.missing);
    open.answer(content);
  }

  #ask(msg: Envelope, signal: AbortSignal, redelivered: boolean): Promise<string> {
    const question: UiQuestion = {
      id: msg.id,
      type: msg.type,
      from: msg.from,
      thread: msg.threadId ?? msg.id,
      content: msg.content,
      receivedAt: new Date().toISOString(),
      redelivered,
    };
    return new Promise<string>((resolve, reject) => {
      const settle = () => {
        signal.removeEventListener("abort", onAbort);
        this.#open.delete(msg.id);
        this.#options.onSettled(msg.id);
      };
      // Shutdown or the message's deadline: a request fails as aborted, a mailbox message is handed back.
      const onAbort = () => {
        settle();
        reject(new AbortedError(`the person did not answer before ${signal.reason instanceof Error ? signal.reason.message : "the console stopped"}`));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.#open.set(msg.id, { question, answer: (content) => (settle(), resolve(content)) });
      this.#options.onQuestion(question);
    });
  }
}

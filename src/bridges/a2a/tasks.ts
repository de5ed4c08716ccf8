import { within } from "../../transport/bounded.ts";
import { TASK_STATE, agentMessage, type TaskState } from "./wire.ts";

/** One A2A task: a natter request made for a streamed or non-blocking call. */
export interface BridgeTask {
  readonly id: string;
  /** The agent asked. */
  readonly agent: string;
  /** The natter thread. */
  readonly contextId: string;
  state: TaskState;
  /** The latest status text (a progress step, the answer or the failure) and the id of its message. */
  status?: { messageId: string; text: string };
  timestamp: string;
  /** Aborts the bridge's wait for the answer (cancel, client gone). */
  readonly abort: AbortController;
}

/** Bounds of a {@link TaskStore}: past either, the oldest tasks are dropped. */
export interface TaskLimits {
  /** Tasks kept at once; default 10 000. */
  maxTasks?: number;
  /** Characters of status text kept across all tasks; default 64 Mi (an answer may be as large as a natter message). */
  maxTextChars?: number;
}

/** Tasks by id, in memory, oldest dropped first: GetTask and CancelTask find them here. */
export class TaskStore {
  readonly #tasks = new Map<string, BridgeTask>();
  readonly #maxTasks: number;
  readonly #maxTextChars: number;
  /** Characters of status text held by the tasks in the map. */
  #textChars = 0;

  constructor(limits: TaskLimits = {}) {
    this.#maxTasks = limits.maxTasks ?? 10_000;
    this.#maxTextChars = limits.maxTextChars ?? 64 * 1024 * 1024;
  }
  /** The runs following a task's answer: each holds a progress consumer until it ends. */
  readonly #running = new Set<Promise<void>>();

  /** Keeps `run` until it settles, for {@link stop} to wait on. */
  track(run: Promise<void>): Promise<void> {
    this.#running.add(run);
    void run.finally(() => this.#running.delete(run)).catch(() => undefined);
    return run;
  }

  /** Stops waiting on every working task and gives their runs up to `ms` to end (and free their consumers). */
  async stop(ms: number): Promise<void> {
    for (const task of this.#tasks.values()) if (!isFinal(task.state)) task.abort.abort(new Error("the A2A bridge stopped"));
    await within(Promise.allSettled([...this.#running]), ms);
  }

  create(id: string, agent: string, contextId: string): BridgeTask {
    const task: BridgeTask = { id, agent, contextId, state: TASK_STATE.working, timestamp: new Date().toISOString(), abort: new AbortController() };
    this.#tasks.set(id, task);
    this.#trim();
    return task;
  }

  /** Drops the oldest tasks past the limits; the newest one is always kept. */
  #trim(): void {
    while (this.#tasks.size > 1 && (this.#tasks.size > this.#maxTasks || this.#textChars > this.#maxTextChars)) {
      const oldest = this.#tasks.values().next().value!;
      this.#tasks.delete(oldest.id);
      this.#textChars -= oldest.status?.text.length ?? 0;
    }
  }

  /** The task `id` of `agent`, or undefined. */
  get(agent: string, id: string): BridgeTask | undefined {
    const task = this.#tasks.get(id);
    return task?.agent === agent ? task : undefined;
  }

  /** Moves `task` to `state` with `status`, unless it already ended (a cancel wins over a late answer). */
  update(task: BridgeTask, state: TaskState, status?: BridgeTask["status"]): boolean {
    if (isFinal(task.state)) return false;
    task.state = state;
    if (status) {
      // A task already dropped still runs to its end, but no longer counts against the store.
      const kept = this.#tasks.get(task.id) === task;
      if (kept) this.#textChars += status.text.length - (task.status?.text.length ?? 0);
      task.status = status;
      if (kept) this.#trim();
    }
    task.timestamp = new Date().toISOString();
    return true;
  }
}

/** Whether a task in `state` has ended. */
export function isFinal(state: TaskState): boolean {
  return state !== TASK_STATE.working;
}

/** The A2A TaskStatus of `task`. */
export function taskStatus(task: BridgeTask): Record<string, unknown> {
  const message = task.status ? agentMessage(task.status.messageId, task.status.text, task.contextId, task.id) : undefined;
  return { state: task.state, ...(message ? { message } : {}), timestamp: task.timestamp };
}

/** The A2A Task JSON of `task`. */
export function taskJson(task: BridgeTask): Record<string, unknown> {
  return { id: task.id, contextId: task.contextId, status: taskStatus(task) };
}

/** The A2A TaskStatusUpdateEvent JSON of `task`. */
export function statusUpdate(task: BridgeTask): Record<string, unknown> {
  return { taskId: task.id, contextId: task.contextId, status: taskStatus(task) };
}

// natter/inspect: reading, following and replaying agent traffic, shared by the CLI and the web console.
export { readStream, collectStream, getStoredMessage } from "./read.ts";
export { tailTraffic } from "./tail.ts";
export { buildThread, readThread, walkThread } from "./thread.ts";
export { prepareRedelivery, redeliver } from "./redeliver.ts";
export { listAgents, watchAgents } from "./agents.ts";
export { planFilter, matchesFilter, subjectMatches, isCoreOnlySubject, parseTimeSpec, parseDurationMs } from "./filter.ts";
export { inspectMessage } from "./message.ts";
export { groupAgents, listInstances } from "../registry/query.ts";

export type { ReadStreamOptions } from "./read.ts";
export type { TailOptions, Tail } from "./tail.ts";
export type { Redelivery } from "./redeliver.ts";
export type { WatchAgentsOptions, AgentsWatch } from "./agents.ts";
export type { FilterPlan } from "./filter.ts";
export type { RawMessage } from "./message.ts";
export type { Channel, DeadLetterInfo, InspectedMessage, MessageFilter, ReadProgress, ThreadNode, AgentsSnapshot } from "./types.ts";

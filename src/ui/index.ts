// natter/console: the web console behind `natter ui` (HTTP API, event stream and page).
export { startConsole } from "./server.ts";
export { DEFAULT_UI_PORT, DEFAULT_UI_HOST, DEFAULT_HUMAN } from "./defaults.ts";

export type { ConsoleOptions, RunningConsole } from "./server.ts";

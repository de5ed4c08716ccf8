import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AgentUnavailableError,
  ConfigError,
  ERROR_CODES,
  LOCAL_ERROR_CODES,
  MessageTooLargeError,
  NatterError,
  RemoteError,
  RequestTimeoutError,
  ValidationError,
  isErrorCode,
  type ErrorCode,
} from "../src/errors.ts";
import { ERROR_CODES as PROTOCOL_ERROR_CODES } from "../src/protocol/index.ts";
import { LLM_ERROR_CODES } from "../src/llm/model.ts";
import { STATUS_BY_CODE, toApiFailure } from "../src/ui/errors.ts";
import { EXIT } from "../src/cli/args.ts";
import { EXIT_BY_CODE } from "../src/cli/exit-codes.ts";

const WIRE: readonly ErrorCode[] = Object.values(ERROR_CODES);
const ALL: readonly ErrorCode[] = [...WIRE, ...Object.values(LOCAL_ERROR_CODES)];

test("errors: each code is in one table only, and natter/protocol gives the wire table", () => {
  assert.equal(new Set(ALL).size, ALL.length);
  assert.equal(PROTOCOL_ERROR_CODES, ERROR_CODES);
  for (const code of Object.values(LLM_ERROR_CODES)) assert.ok(isErrorCode(code), code);
});

test("errors: the wire codes are the ones agents already send", () => {
  assert.deepEqual([...WIRE].sort(), [
    "aborted",
    "bad_request",
    "cancelled",
    "deadline_exceeded",
    "handler_error",
    "no_handler",
    "overloaded",
    "rate_limited",
    "sealed_unreadable",
    "too_large",
    "unverified",
  ]);
});

test("errors: every code has an HTTP status in the console and an exit code in the CLI", () => {
  const exits = new Set<number>(Object.values(EXIT));
  for (const code of ALL) {
    const status = STATUS_BY_CODE[code];
    assert.ok(Number.isInteger(status) && status >= 400 && status < 600, `${code}: status ${status}`);
    assert.ok(exits.has(EXIT_BY_CODE[code]) && EXIT_BY_CODE[code] !== EXIT.ok, `${code}: exit ${EXIT_BY_CODE[code]}`);
  }
});

test("errors: the console's statuses for what a person meets", () => {
  const cases: [Error, number][] = [
    [new ValidationError("bad"), 400],
    [new NatterError("gone", LOCAL_ERROR_CODES.missing), 404],
    [new MessageTooLargeError(2000, 1000), 413],
    [new AgentUnavailableError("Bob"), 503],
    [new RequestTimeoutError("Bob", 10), 504],
    [new NatterError("bug"), 500],
    [new RemoteError("Bob", "boom"), 502],
    [new RemoteError("Bob", "slow downstream", LOCAL_ERROR_CODES.timeout), 504],
    [new Error("plain"), 500],
  ];
  for (const [err, status] of cases) assert.equal(toApiFailure(err).status, status, err.message);
});

test("errors: the CLI's exit codes for input, absence and failure", () => {
  assert.equal(EXIT_BY_CODE[new ConfigError("x").code], EXIT.usage);
  assert.equal(EXIT_BY_CODE[new ValidationError("x").code], EXIT.usage);
  assert.equal(EXIT_BY_CODE[new AgentUnavailableError("Bob").code], EXIT.unavailable);
  assert.equal(EXIT_BY_CODE[new RequestTimeoutError("Bob", 10).code], EXIT.unavailable);
  assert.equal(EXIT_BY_CODE[LOCAL_ERROR_CODES.connectFailed], EXIT.unavailable);
  assert.equal(EXIT_BY_CODE[LOCAL_ERROR_CODES.missing], EXIT.failure);
});

test("errors: a peer's code natter does not know stays on the RemoteError, its code falls back to handler_error", () => {
  const known = new RemoteError("Bob", "slow", ERROR_CODES.overloaded);
  assert.equal(known.code, "overloaded");
  assert.equal(known.peerCode, "overloaded");
  const foreign = new RemoteError("Bob", "no fuel", "out_of_fuel");
  assert.equal(foreign.code, "handler_error");
  assert.equal(foreign.peerCode, "out_of_fuel");
});

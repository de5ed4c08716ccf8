import { test } from "node:test";
import assert from "node:assert/strict";
import { ClosedConnectionError, NoRespondersError, PermissionViolationError, RequestError, TimeoutError } from "@nats-io/transport-node";
import { JetStreamApiError } from "@nats-io/jetstream";
import { jserrors } from "@nats-io/jetstream/internal";
import { causedBy, isJetStreamNotEnabled, jetStreamApiFailure, natsFailure } from "../../src/transport/nats-errors.ts";

test("nats errors: the client's own errors sort into away and refused, by class", () => {
  assert.equal(natsFailure(new TimeoutError()), "away");
  assert.equal(natsFailure(new NoRespondersError("agents.request.Bob")), "away");
  assert.equal(natsFailure(new ClosedConnectionError()), "away");
  assert.equal(natsFailure(new RequestError("failed")), "refused");
  assert.equal(natsFailure(new PermissionViolationError("denied", "publish", "agents.all")), "refused");
  const off = new jserrors.JetStreamNotEnabled("jetstream is not enabled");
  assert.equal(natsFailure(off), "refused");
  assert.ok(isJetStreamNotEnabled(off) && !isJetStreamNotEnabled(new Error("jetstream is not enabled")));
  assert.equal(natsFailure(new JetStreamApiError({ code: 404, err_code: 10059, description: "stream not found" })), "refused");
});

test("nats errors: another error is not the client's, whatever its name", () => {
  assert.equal(natsFailure(new Error("timeout")), undefined);
  assert.equal(natsFailure(Object.assign(new Error("x"), { name: "TimeoutError" })), undefined);
  assert.equal(natsFailure("timeout"), undefined);
});

test("nats errors: a refusal wrapped by the client is found among the causes", () => {
  const denied = new PermissionViolationError("Permissions Violation for Publish to \"x\"", "publish", "x");
  assert.ok(causedBy(new RequestError("failed", { cause: denied }), PermissionViolationError));
  assert.ok(!causedBy(new RequestError("failed", { cause: new TimeoutError() }), PermissionViolationError));
});

test("nats errors: a JetStream API error answer becomes the client's class for it", () => {
  const table: [number, string][] = [
    [10059, "StreamNotFoundError"],
    [10014, "ConsumerNotFoundError"],
    [10039, "JetStreamNotEnabled"],
    [10077, "JetStreamApiError"],
  ];
  for (const [errCode, name] of table) {
    const err = jetStreamApiFailure({ code: 400, err_code: errCode, description: `code ${errCode}` });
    assert.equal(err.name, name);
    assert.equal(err.message, `code ${errCode}`);
    assert.equal(isJetStreamNotEnabled(err), errCode === 10039);
  }
});

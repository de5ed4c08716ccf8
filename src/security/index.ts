// natter/security: per-agent NATS users and permissions, signed envelopes, sealed envelopes, per-sender rate limits.
export { agentPermissions, agentInboxPrefix } from "./permissions.ts";
export { generateAuth, AUTH_CONF_FILE, TRUSTED_KEYS_FILE } from "./generate.ts";
export { agentConnection, agentSigner, createSigner, SIGNATURE_HEADERS } from "./identity.ts";
export { Verifier } from "./verify.ts";
export { SenderRateLimiter } from "./rate-limit.ts";
export { CurveKey } from "./xkeys.ts";
export { openEnvelope, sealEnvelope } from "./seal.ts";
export { SealKeys } from "./seal-keys.ts";

export type { PermissionScope, UserPermissions } from "./permissions.ts";
export type { GenerateAuthOptions, GeneratedAuth } from "./generate.ts";
export type { AgentConnection, Signer } from "./identity.ts";
export type { Arrival, Expectation } from "./verify.ts";
export type { SealKeysOptions } from "./seal-keys.ts";

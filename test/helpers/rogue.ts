import { fromSeed } from "@nats-io/nkeys";
import { connect, nkeyAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import type { GeneratedAuth } from "../../src/security/generate.ts";
import { readSeedText } from "../../src/security/generate.ts";
import { createSigner, type Signer } from "../../src/security/identity.ts";
import { agentInboxPrefix } from "../../src/security/permissions.ts";

/** A plain nats.js client holding one `natter auth` user's credentials, and that user's signer: a rogue agent. */
export interface Rogue {
  nc: NatsConnection;
  js: JetStreamClient;
  signer: Signer;
}

/** Connects as `name`'s user (its seed from `auth`, its own inbox prefix, as its permissions require). */
export async function connectRogue(url: string, auth: GeneratedAuth, name: string): Promise<Rogue> {
  const seed = readSeedText(auth.seedFiles[name]!);
  const nc = await connect({ servers: url, authenticator: nkeyAuthenticator(seed), inboxPrefix: agentInboxPrefix(name) });
  return { nc, js: jetstream(nc), signer: createSigner(fromSeed(seed)) };
}

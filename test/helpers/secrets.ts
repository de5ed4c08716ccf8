import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAccount, createOperator, createUser } from "@nats-io/nkeys";
import { encodeAccount, encodeOperator, encodeUser, fmtCreds } from "@nats-io/jwt";

/** A temporary directory for generated secrets; removed by `dispose()`. */
export interface SecretsDir {
  readonly dir: string;
  path(name: string): string;
  write(name: string, text: string | Uint8Array): string;
  dispose(): void;
}

/** A fresh temporary directory for one test file's keys and certificates. */
export function secretsDir(): SecretsDir {
  const dir = mkdtempSync(join(tmpdir(), "natter-secrets-"));
  return {
    dir,
    path: (name) => join(dir, name),
    write: (name, text) => (writeFileSync(join(dir, name), text, { mode: 0o600 }), join(dir, name)),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Paths of a CA, a server certificate for 127.0.0.1 and a client certificate, all made by `openssl`. */
export interface TestCerts {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here: clients trusting only it must fail. */
  otherCa: string;
}

/** Generates a throwaway CA, server and client certificates (P-256, valid one day) with the machine's openssl. */
export function makeCerts(s: SecretsDir): TestCerts {
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: s.dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  ssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=natter-test-ca");
  ssl("req", "-x509", ...ec, "-keyout", "other-ca.key", "-out", "other-ca.pem", "-days", "1", "-subj", "/CN=natter-other-ca");
  s.write("server.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  s.write("client.ext", "extendedKeyUsage=clientAuth\n");
  for (const who of ["server", "client"]) {
    ssl("req", ...ec, "-keyout", `${who}.key`, "-out", `${who}.csr`, "-subj", `/CN=natter-test-${who}`);
    ssl("x509", "-req", "-in", `${who}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${who}.pem`, "-days", "1", "-extfile", `${who}.ext`);
  }
  return {
    ca: s.path("ca.pem"),
    serverCert: s.path("server.pem"),
    serverKey: s.path("server.key"),
    clientCert: s.path("client.pem"),
    clientKey: s.path("client.key"),
    otherCa: s.path("other-ca.pem"),
  };
}

/** An operator, one JetStream-enabled account and a user of it, as a server config fragment and a creds file. */
export interface OperatorSetup {
  /** nats-server config text: operator, memory resolver with the account preloaded. */
  serverConfig: string;
  /** Path of the user's creds file (JWT + seed). */
  creds: string;
  /** Path of creds of a user signed by a different account key, which the server must refuse. */
  foreignCreds: string;
}

/** Builds operator-mode JWTs with @nats-io/jwt, signed by fresh nkeys. */
export async function makeOperator(s: SecretsDir): Promise<OperatorSetup> {
  const operator = createOperator();
  const account = createAccount();
  const user = createUser();
  const system = createAccount();
  // JetStream in operator mode needs a system account for its internal subscriptions.
  const operatorJwt = await encodeOperator("natter-test", operator, { system_account: system.getPublicKey() });
  const systemJwt = await encodeAccount("SYS", system, {}, { signer: operator });
  const limits = { subs: -1, data: -1, payload: -1, conn: -1, imports: -1, exports: -1, wildcards: true, leaf: -1, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 };
  const accountJwt = await encodeAccount("natter", account, { limits }, { signer: operator });
  const userJwt = await encodeUser("agent", user, account, { subs: -1, data: -1, payload: -1 });
  const stranger = createAccount();
  const foreignUser = createUser();
  const foreignJwt = await encodeUser("agent", foreignUser, stranger);
  const opPath = s.write("operator.jwt", operatorJwt);
  const serverConfig = [
    `operator: "${opPath}"`,
    `system_account: ${system.getPublicKey()}`,
    "resolver: MEMORY",
    `resolver_preload: { ${account.getPublicKey()}: "${accountJwt}", ${system.getPublicKey()}: "${systemJwt}" }`,
  ].join("\n");
  return {
    serverConfig,
    creds: s.write("agent.creds", fmtCreds(userJwt, user)),
    foreignCreds: s.write("foreign.creds", fmtCreds(foreignJwt, foreignUser)),
  };
}

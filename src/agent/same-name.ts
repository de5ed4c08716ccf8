import type { Logger } from "../logger.ts";
import type { AgentRecord } from "../protocol/record.ts";
import type { RegistryView } from "../registry/view.ts";

type Identity = Pick<AgentRecord, "name" | "instanceId" | "description" | "capabilities" | "version" | "host" | "pid">;

/**
 * Same name = same agent: instances share one mailbox and one request queue group, so two different agents under
 * one name silently split its work between them. Warns once per live instance of `self.name` whose description,
 * capabilities or version differ; call {@link check} now and whenever the view sees the name's instances change.
 */
export class NameConflicts {
  /** Instances warned about; made by the first warning. */
  #warned: Set<string> | undefined;

  constructor(
    readonly self: Identity,
    readonly log: Logger,
  ) {}

  /** Warns about each live instance in `view` that differs and was not warned about before. */
  check(view: RegistryView): void {
    const { self, log } = this;
    for (const other of view.liveInstances(self.name)) {
      if (other.instanceId === self.instanceId || this.#warned?.has(other.instanceId)) continue;
      const differences = differingFields(self, other);
      if (differences.length === 0) continue;
      (this.#warned ??= new Set()).add(other.instanceId);
      log.warn("agent.name_conflict", {
        this: describe(self),
        other: describe(other),
        differs: differences.join(", "),
        hint: "instances of one name share its mailbox and requests: give different agents different names",
      });
    }
  }
}

function differingFields(a: Identity, b: Identity): string[] {
  const out: string[] = [];
  if ((a.description ?? "") !== (b.description ?? "")) out.push("description");
  if (JSON.stringify([...(a.capabilities ?? [])].sort()) !== JSON.stringify([...(b.capabilities ?? [])].sort())) out.push("capabilities");
  if ((a.version ?? "") !== (b.version ?? "")) out.push("version");
  return out;
}

function describe(r: Identity): string {
  const where = [r.host, r.pid !== undefined ? `pid ${r.pid}` : ""].filter(Boolean).join(" ");
  return `${r.name} instance ${r.instanceId}${where ? ` (${where})` : ""}: description ${JSON.stringify(r.description ?? "")}, capabilities ${JSON.stringify(r.capabilities ?? [])}, version ${JSON.stringify(r.version ?? "")}`;
}

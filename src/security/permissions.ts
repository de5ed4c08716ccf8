import { assertAgentName } from "../protocol/names.ts";
import { kvStreamName } from "../protocol/tokens.ts";
import { ALL_SUBJECT, CANCEL_SUBJECT, deadLetterSubject, directSubject, handoffsFrom, kvSubject, requestSubject, responseWildcard, SUBJECT_PATTERNS } from "../protocol/subjects.ts";

/** Names of the stream and bucket whose API subjects an agent's permissions cover. */
export interface PermissionScope {
  /** The mailbox stream; default `AGENTS`. */
  stream: string;
  /** The registry KV bucket; default `natter-registry`. */
  registryBucket: string;
}

/** nats-server permissions of one user, in the server config's shape. */
export interface UserPermissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
  /** Lets the user answer requests it received (its reply subjects only). */
  allow_responses: boolean;
}

/** The inbox prefix of `agent`'s connection, so its permissions never need `_INBOX.>`. */
export function agentInboxPrefix(agent: string): string {
  return `_INBOX_${assertAgentName(agent)}`;
}

/**
 * What `agent`'s NATS user may do: consume its own mailbox consumer, serve its own requests,
 * hear its own responses and inbox, publish messages as itself, and write only its own registry keys.
 * Everything not listed is denied by the server.
 */
export function agentPermissions(agent: string, scope: PermissionScope): UserPermissions {
  const { stream, registryBucket } = scope;
  const kvStream = kvStreamName(registryBucket);
  const api = "$JS.API";
  return {
    publish: {
      allow: [
        ALL_SUBJECT,
        CANCEL_SUBJECT,
        SUBJECT_PATTERNS.group,
        SUBJECT_PATTERNS.progress,
        SUBJECT_PATTERNS.direct,
        SUBJECT_PATTERNS.request,
        handoffsFrom(agent),
        deadLetterSubject(agent),
        kvSubject(registryBucket, `${agent}.>`),
        `${api}.INFO`,
        `${api}.STREAM.INFO.${stream}`,
        `${api}.STREAM.INFO.${kvStream}`,
        // Only the filtered form of the create subject: the unfiltered one would let the body choose any filter.
        `${api}.CONSUMER.CREATE.${stream}.${agent}.${directSubject(agent)}`,
        `${api}.CONSUMER.INFO.${stream}.${agent}`,
        `${api}.CONSUMER.MSG.NEXT.${stream}.${agent}`,
        `$JS.ACK.${stream}.${agent}.>`,
        // Reading the registry (list, watch, get) through ordered consumers and direct gets.
        `${api}.CONSUMER.CREATE.${kvStream}`,
        `${api}.CONSUMER.CREATE.${kvStream}.>`,
        `${api}.CONSUMER.DELETE.${kvStream}.>`,
        `${api}.CONSUMER.INFO.${kvStream}.>`,
        `${api}.CONSUMER.MSG.NEXT.${kvStream}.>`,
        `${api}.DIRECT.GET.${kvStream}.>`,
        `${api}.STREAM.MSG.GET.${kvStream}`,
        `$JS.FC.${kvStream}.>`,
      ],
    },
    subscribe: {
      allow: [ALL_SUBJECT, CANCEL_SUBJECT, SUBJECT_PATTERNS.group, `${requestSubject(agent)} ${agent}`, responseWildcard(agent), `${agentInboxPrefix(agent)}.>`],
    },
    allow_responses: true,
  };
}

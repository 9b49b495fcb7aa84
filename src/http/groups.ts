import { Elysia, t } from "elysia";
import { parseGroupCall } from "../broker/group-calls.ts";
import type { GroupView, JoinAnswer } from "../broker/groups.ts";
import { INTERNAL_ROUTES } from "../lib/internal-routes.ts";
import { MAX_JOIN_WAIT_MS, MAX_SESSION_TIMEOUT_MS, MIN_SESSION_TIMEOUT_MS } from "../broker/groups.ts";
import { bodyIntegerField, ErrorBody, TopicName } from "./models.ts";
import type { RouteContext } from "./context.ts";
import { json } from "./respond.ts";
import { strictFields } from "./strict-fields.ts";

/**
 * Consumer groups, resource style and stateless for the client: any broker answers any
 * group route and hands the call to the group's coordinator. A member joins
 * (`POST /groups/:group/members`), heartbeats, commits with its generation, and leaves;
 * a rebalance shows as 409 REBALANCE_IN_PROGRESS on its heartbeat, after which it
 * joins again with its member id. The shapes follow Kafka's JoinGroup, Heartbeat,
 * LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups, ListGroups and DeleteGroups.
 */


const GroupParams = t.Object({ group: t.String({ description: "Group id: any non-empty string (as Kafka allows), percent-encoded in the path" }) });
const MemberParams = t.Object({ group: t.String(), member: t.String({ description: "The member id the join answered" }) });

const TopicPartitionBody = t.Object({ topic: t.String(), partition: t.Integer() });

const AssignmentBody = t.Object({
  topic: t.String(),
  partition: t.Integer(),
  offset: t.Integer({ description: "Where to start reading: the committed offset, else the auto_offset_reset position" }),
  committed_offset: t.Union([t.Integer(), t.Null()]),
});

const BrokerBody = t.Object({ id: t.Integer(), address: t.String() });

const JoinAnswerBody = t.Object({
  member_id: t.String(),
  generation: t.Integer(),
  state: t.String({ description: "Stable, or PreparingRebalance: join again (with member_id) to get partitions" }),
  assignor: t.String(),
  assignments: t.Array(AssignmentBody),
  heartbeat_interval_ms: t.Integer(),
  session_timeout_ms: t.Integer(),
  auto_offset_reset: t.String(),
  coordinator: BrokerBody,
});

const CommittedBody = t.Object({
  topic: t.String(),
  partition: t.Integer(),
  offset: t.Integer(),
  metadata: t.String(),
  commit_timestamp: t.Integer({ description: "Milliseconds since the epoch" }),
});

const GroupViewBody = t.Object({
  group: t.String(),
  state: t.String({ description: "Empty, PreparingRebalance or Stable" }),
  generation: t.Integer(),
  assignor: t.Union([t.String(), t.Null()]),
  coordinator: BrokerBody,
  members: t.Array(
    t.Object({
      member_id: t.String(),
      client_id: t.String(),
      topics: t.Array(t.String()),
      session_timeout_ms: t.Integer(),
      auto_offset_reset: t.String({ description: 'earliest or latest; "client" for a Kafka consumer, whose own auto.offset.reset decides' }),
      assignments: t.Array(TopicPartitionBody),
      last_seen: t.Integer({ description: "Milliseconds since the epoch" }),
    }),
  ),
  partitions: t.Array(
    t.Object({
      topic: t.String(),
      partition: t.Integer(),
      member_id: t.Union([t.String(), t.Null()]),
      committed_offset: t.Union([t.Integer(), t.Null()]),
      end_offset: t.Union([t.Integer(), t.Null()]),
      lag: t.Union([t.Integer(), t.Null()]),
    }),
  ),
});

function joinJson(a: JoinAnswer) {
  return {
    member_id: a.memberId,
    generation: a.generation,
    state: a.state,
    assignor: a.assignor,
    assignments: a.assignments.map((x) => ({
      topic: x.topic,
      partition: x.partition,
      offset: x.offset,
      committed_offset: x.committedOffset,
    })),
    heartbeat_interval_ms: a.heartbeatIntervalMs,
    session_timeout_ms: a.sessionTimeoutMs,
    auto_offset_reset: a.autoOffsetReset,
    coordinator: a.coordinator,
  };
}

function viewJson(v: GroupView) {
  return {
    group: v.group,
    state: v.state,
    generation: v.generation,
    assignor: v.assignor,
    coordinator: v.coordinator,
    members: v.members.map((m) => ({
      member_id: m.memberId,
      client_id: m.clientId,
      topics: m.topics,
      session_timeout_ms: m.sessionTimeoutMs,
      auto_offset_reset: m.autoOffsetReset,
      assignments: m.assignments,
      last_seen: m.lastSeen,
    })),
    partitions: v.partitions.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      member_id: p.memberId,
      committed_offset: p.committedOffset,
      end_offset: p.endOffset,
      lag: p.lag,
    })),
  };
}

const tags = ["groups"];

/**
 * A group's view as a principal sees it: the topics it may not describe left out of the
 * members' subscriptions and assignments and of the partitions (issue 14: a principal
 * allowed a group never learns from it the names of topics it cannot describe).
 */
function viewOf(view: GroupView, shown: ReadonlySet<string>): GroupView {
  return {
    ...view,
    members: view.members.map((m) => ({
      ...m,
      topics: m.topics.filter((topic) => shown.has(topic)),
      assignments: m.assignments.filter((a) => shown.has(a.topic)),
    })),
    partitions: view.partitions.filter((p) => shown.has(p.topic)),
  };
}

export function groupRoutes(context: RouteContext) {
  const { broker, requests } = context;
  const groups = broker.groups;
  /** The topics of `names` the caller may describe; undefined when every caller sees every topic. */
  const shownTopics = (request: Request, names: readonly string[]): ReadonlySet<string> | undefined =>
    context.access === undefined ? undefined : new Set(context.access.describableTopics(request, [...new Set(names)]));
  return new Elysia()
    .get(
      "/groups",
      async ({ request }) => {
        const list = await groups.list();
        // With authentication on, only the groups the principal may describe (issue 14).
        const shown = context.access ? new Set(context.access.describableGroups(request, list.groups.map((g) => g.group))) : undefined;
        requests.count("GET", "/groups", 200);
        return json({ groups: shown ? list.groups.filter((g) => shown.has(g.group)) : list.groups, unreachable_brokers: list.unreachable });
      },
      {
        response: {
          200: t.Object({
            groups: t.Array(
              t.Object({
                group: t.String(),
                state: t.String(),
                generation: t.Integer(),
                members: t.Integer(),
                coordinator: t.Integer({ description: "Id of the broker that coordinates the group" }),
              }),
            ),
            unreachable_brokers: t.Array(t.Integer(), { description: "Brokers that could not be asked; their groups are missing" }),
          }),
        },
        detail: { tags, summary: "List consumer groups (every broker's)" },
      },
    )
    .get(
      "/groups/:group",
      async ({ params, request }) => {
        const view = await groups.describe(params.group);
        const shown = shownTopics(request, [...view.partitions.map((p) => p.topic), ...view.members.flatMap((m) => m.topics)]);
        requests.count("GET", "/groups/:group", 200);
        return json(viewJson(shown === undefined ? view : viewOf(view, shown)));
      },
      {
        transform: strictFields({ nameParams: ["group"] }),
        params: GroupParams,
        response: { 200: GroupViewBody, 400: ErrorBody, 404: ErrorBody, 503: ErrorBody },
        detail: {
          tags,
          summary: "Describe a group: state, members, assignment, committed offset and lag per partition",
        },
      },
    )
    .post(
      "/groups/:group/members",
      async ({ params, body }) => {
        const answer = await groups.join(params.group, {
          topics: body.topics,
          memberId: body.member_id,
          clientId: body.client_id,
          assignor: body.assignor,
          sessionTimeoutMs: body.session_timeout_ms,
          rebalanceTimeoutMs: body.rebalance_timeout_ms,
          autoOffsetReset: body.auto_offset_reset,
          waitMs: body.wait_ms,
        });
        requests.count("POST", "/groups/:group/members", 200);
        return json(joinJson(answer));
      },
      {
        transform: strictFields({ nameParams: ["group"] }),
        params: GroupParams,
        body: t.Object(
          {
            topics: t.Array(TopicName, { minItems: 1, error: "topics must be a non-empty array of topic names" }),
            member_id: t.Optional(t.String({ description: "To rejoin: the id a previous join answered" })),
            client_id: t.Optional(t.String({ description: "Prefix of the member id, for people reading describe" })),
            assignor: t.Optional(
              t.Union([t.Literal("range"), t.Literal("roundrobin")], {
                description: "range (default) or roundrobin; the group keeps its first member's",
                error: "assignor must be range or roundrobin",
              }),
            ),
            session_timeout_ms: t.Optional(
              bodyIntegerField("session_timeout_ms", {
                minimum: MIN_SESSION_TIMEOUT_MS,
                maximum: MAX_SESSION_TIMEOUT_MS,
                description: "Removed from the group after this long without a heartbeat (default 10000)",
              }),
            ),
            rebalance_timeout_ms: t.Optional(
              bodyIntegerField("rebalance_timeout_ms", {
                minimum: MIN_SESSION_TIMEOUT_MS,
                maximum: MAX_SESSION_TIMEOUT_MS,
                description: "How long a rebalance waits for this member to rejoin (default: the session timeout)",
              }),
            ),
            auto_offset_reset: t.Optional(
              t.Union([t.Literal("earliest"), t.Literal("latest")], {
                description: "Where to start without a committed offset (default earliest)",
                error: "auto_offset_reset must be earliest or latest",
              }),
            ),
            wait_ms: t.Optional(
              bodyIntegerField("wait_ms", {
                minimum: 0,
                maximum: MAX_JOIN_WAIT_MS,
                description: "Wait this long for a rebalance to complete before answering PreparingRebalance (default 5000)",
              }),
            ),
          },
          { additionalProperties: true },
        ),
        response: { 200: JoinAnswerBody, 400: ErrorBody, 404: ErrorBody, 503: ErrorBody },
        detail: {
          tags,
          summary: "Join (or rejoin) a group: member id, generation and assigned partitions",
          description:
            "The coordinator computes the assignment (range or roundrobin). While other members have yet to rejoin the answer waits up to `wait_ms`, then says state PreparingRebalance with no partitions: join again with `member_id`.",
        },
      },
    )
    .post(
      "/groups/:group/members/:member/heartbeat",
      async ({ params, body }) => {
        const beat = await groups.heartbeat(params.group, params.member, body.generation);
        requests.count("POST", "/groups/:group/members/:member/heartbeat", 200);
        return json({ generation: beat.generation, state: beat.state, heartbeat_interval_ms: beat.heartbeatIntervalMs });
      },
      {
        transform: strictFields({ nameParams: ["group", "member"] }),
        params: MemberParams,
        body: t.Object({ generation: bodyIntegerField("generation") }, { additionalProperties: true }),
        response: {
          200: t.Object({ generation: t.Integer(), state: t.String(), heartbeat_interval_ms: t.Integer() }),
          400: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
          503: ErrorBody,
        },
        detail: {
          tags,
          summary: "Keep a member alive",
          description: "409 REBALANCE_IN_PROGRESS or ILLEGAL_GENERATION: stop, commit, and join again with the member id.",
        },
      },
    )
    .delete(
      "/groups/:group/members/:member",
      async ({ params }) => {
        await groups.leave(params.group, params.member);
        requests.count("DELETE", "/groups/:group/members/:member", 200);
        return json({ status: "left" });
      },
      {
        transform: strictFields({ nameParams: ["group", "member"] }),
        params: MemberParams,
        response: { 200: t.Object({ status: t.String() }), 400: ErrorBody, 404: ErrorBody, 503: ErrorBody },
        detail: { tags, summary: "Leave a group (its partitions go to the others at once)" },
      },
    )
    .post(
      "/groups/:group/offsets",
      async ({ params, body }) => {
        const committed = await groups.commit(params.group, {
          memberId: body.member_id,
          generation: body.generation,
          offsets: body.offsets,
        });
        requests.count("POST", "/groups/:group/offsets", 200);
        return json({ offsets: committed.map(({ topic, partition, offset }) => ({ topic, partition, offset })) });
      },
      {
        transform: strictFields({ nameParams: ["group"] }),
        params: GroupParams,
        body: t.Object(
          {
            member_id: t.Optional(t.String({ description: "The committing member (omit only for a group without members)" })),
            generation: t.Optional(bodyIntegerField("generation")),
            offsets: t.Array(
              t.Object(
                {
                  topic: t.String(),
                  partition: bodyIntegerField("partition"),
                  offset: bodyIntegerField("offset", { description: "The next offset to read (last processed + 1), as in Kafka" }),
                  metadata: t.Optional(t.String()),
                },
                { additionalProperties: true },
              ),
              { minItems: 1, error: "offsets must be a non-empty array of {topic, partition, offset}" },
            ),
          },
          { additionalProperties: true },
        ),
        response: {
          200: t.Object({ offsets: t.Array(t.Object({ topic: t.String(), partition: t.Integer(), offset: t.Integer() })) }),
          400: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
          503: ErrorBody,
        },
        detail: {
          tags,
          summary: "Commit offsets",
          description:
            "Refused from an unknown member (UNKNOWN_MEMBER_ID), an older generation or a partition the member does not own (ILLEGAL_GENERATION), so a handed-over partition never moves back.",
        },
      },
    )
    .get(
      "/groups/:group/offsets",
      async ({ params, query, request }) => {
        const offsets = await groups.offsets(params.group, query.topic);
        const shown = shownTopics(request, offsets.map((o) => o.topic));
        requests.count("GET", "/groups/:group/offsets", 200);
        return json({
          group: params.group,
          offsets: (shown === undefined ? offsets : offsets.filter((o) => shown.has(o.topic))).map((o) => ({
            topic: o.topic,
            partition: o.partition,
            offset: o.offset,
            metadata: o.metadata,
            commit_timestamp: o.commitTimestamp,
          })),
        });
      },
      {
        transform: strictFields({ once: ["topic"], nameParams: ["group"] }),
        params: GroupParams,
        query: t.Object({ topic: t.Optional(t.String({ description: "Only this topic's offsets" })) }, { additionalProperties: true }),
        response: { 200: t.Object({ group: t.String(), offsets: t.Array(CommittedBody) }), 400: ErrorBody, 404: ErrorBody, 503: ErrorBody },
        detail: { tags, summary: "Committed offsets of a group" },
      },
    )
    .delete(
      "/groups/:group/offsets",
      async ({ params, query, request }) => {
        const deleted = await groups.deleteOffsets(params.group, query.topic === undefined ? undefined : [query.topic]);
        const shown = shownTopics(request, deleted.map((d) => d.topic));
        requests.count("DELETE", "/groups/:group/offsets", 200);
        return json({ deleted: shown === undefined ? deleted : deleted.filter((d) => shown.has(d.topic)) });
      },
      {
        transform: strictFields({ once: ["topic"], nameParams: ["group"] }),
        params: GroupParams,
        query: t.Object(
          { topic: t.Optional(t.String({ description: "Only this topic's offsets; default all (and the group)" })) },
          { additionalProperties: true },
        ),
        response: { 200: t.Object({ deleted: t.Array(TopicPartitionBody) }), 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody },
        detail: {
          tags,
          summary: "Delete a group's committed offsets",
          description: "409 NON_EMPTY_GROUP while members consume the topics. Deleting all offsets of a group without members deletes the group.",
        },
      },
    );
}

/**
 * The coordinator's side: a group call another broker sent here, run locally and never
 * forwarded again. Registered with the cluster's internal routes, which run only calls
 * their guard has verified (http/internal.ts).
 */
const GROUPS_INTERNAL_PATH = INTERNAL_ROUTES.groups;

export function internalGroupRoutes({ broker, requests }: RouteContext) {
  return new Elysia().post(
    GROUPS_INTERNAL_PATH,
    async ({ body, request, server }) => {
      // A join may wait for the rest of its group.
      server?.timeout(request, 0);
      const answer = await broker.groups.handle(parseGroupCall(body));
      requests.count("POST", GROUPS_INTERNAL_PATH, 200);
      return json(answer ?? null);
    },
    {
      body: t.Unknown({ description: "A group call: {op, group, ...} (src/broker/group-calls.ts)" }),
      detail: {
        tags: ["internal"],
        summary: "A group call from another broker, run on this coordinator",
        description: "Broker to broker; needs a call signed by a broker of this cluster in the x-streamnest-broker-auth header (else 401).",
      },
    },
  );
}

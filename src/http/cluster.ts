import { Elysia, t } from "elysia";
import type { ClusterStatus, PeerEndpoint } from "./peer-endpoint.ts";
import type { RouteContext } from "./context.ts";
import { json } from "./respond.ts";

const ClusterAnswer = t.Object({
  broker: t.Integer({ description: "Id of the broker that answered" }),
  controller: t.Integer({ description: "Id of the metadata quorum leader (-1 while none is known)" }),
  metadata_version: t.Integer({ description: "Metadata version this broker holds" }),
  brokers: t.Array(
    t.Object({
      id: t.Union([t.Integer(), t.Null()], { description: "Null until the peer has answered once" }),
      address: t.String({ description: "host:port clients use" }),
      alive: t.Boolean({ description: "Heartbeats arrive" }),
      controller: t.Boolean({ description: "It leads the metadata quorum" }),
      self: t.Boolean(),
      metadata_version: t.Union([t.Integer(), t.Null()], { description: "Last version the broker reported" }),
      last_heartbeat_ms: t.Union([t.Integer(), t.Null()], { description: "Milliseconds since its last heartbeat" }),
      fenced: t.Optional(t.Union([t.Boolean(), t.Null()], { description: "Fenced by the metadata quorum for missed heartbeats (null: never registered)" })),
      incarnation: t.Optional(t.Union([t.Integer(), t.Null()], { description: "The incarnation it registered with the metadata quorum" })),
    }),
  ),
  quorum: t.Optional(
    t.Object(
      {
        voters: t.Array(t.Integer()),
        leader: t.Union([t.Integer(), t.Null()]),
        epoch: t.Integer(),
        committed_offset: t.Integer({ description: "The metadata log's committed offset as this broker knows it" }),
        role: t.String(),
        directory_id: t.Union([t.String(), t.Null()], { description: "This broker's data directory id (KIP-853); null before the quorum starts" }),
        wiped: t.Boolean({ description: "This broker's id is a voter's but its data dir is not the recorded one (wiped): it serves as an observer" }),
        voter_status: t.Array(
          t.Object({
            id: t.Integer(),
            directory_id: t.Union([t.String(), t.Null()], { description: "The voter's recorded data directory id (null: not learned yet, from a voters file that predates them)" }),
            committed_offset: t.Union([t.Integer(), t.Null()], { description: "On the leader: the voter's fetched log end offset" }),
            lag: t.Union([t.Integer(), t.Null()], { description: "Entries behind the leader's log end" }),
            last_fetch_ms_ago: t.Union([t.Integer(), t.Null()]),
          }),
        ),
      },
      { description: "The metadata quorum (a Raft log, KIP-595)" },
    ),
  ),
});

/** GET /cluster: every broker, whether it is alive, which one leads the metadata quorum, metadata versions. */
export function clusterRoutes({ broker, requests }: RouteContext, link: PeerEndpoint | undefined) {
  return new Elysia().get(
    "/cluster",
    () => {
      requests.count("GET", "/cluster", 200);
      if (link) return json(link.status());
      const self = broker.self;
      const version = broker.metadata.version;
      const alone: ClusterStatus = {
        broker: self.id,
        controller: self.id,
        metadata_version: version,
        brokers: [
          { id: self.id, address: self.address, alive: true, controller: true, self: true, metadata_version: version, last_heartbeat_ms: 0 },
        ],
      };
      return json(alone);
    },
    { response: { 200: ClusterAnswer }, detail: { tags: ["cluster"], summary: "Brokers, liveness, controller and metadata versions" } },
  );
}

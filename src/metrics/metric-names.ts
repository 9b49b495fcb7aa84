/** Every metric name StreamNest exports, declared once. */
export const METRIC = {
  messagesProduced: "streamnest_messages_produced_total",
  messagesConsumed: "streamnest_messages_consumed_total",
  bytesIn: "streamnest_bytes_in_total",
  bytesOut: "streamnest_bytes_out_total",
  produceLatency: "streamnest_produce_latency_seconds",
  readLatency: "streamnest_read_latency_seconds",
  httpRequests: "streamnest_http_requests_total",
  protocolRequests: "streamnest_protocol_requests_total",
  partitionEndOffset: "streamnest_partition_end_offset",
  partitionLogBytes: "streamnest_partition_log_bytes",
  activeStreams: "streamnest_active_streams",
  waitingFetches: "streamnest_waiting_fetches",
  groupMembers: "streamnest_group_members",
  groupGeneration: "streamnest_group_generation",
  groupCommittedOffset: "streamnest_group_committed_offset",
  groupLag: "streamnest_group_lag",
} as const;

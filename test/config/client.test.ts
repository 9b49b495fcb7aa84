import { describe, expect, test } from "bun:test";
import { CLIENT, CLIENT_LIMITS } from "../../src/config/client.ts";
import { readSection } from "../../src/config/read.ts";

describe("CLIENT", () => {
  test("--meta, else $STREAMNEST_META, else localhost:8080", () => {
    expect(readSection(CLIENT, {}, {})).toEqual({ meta: "localhost:8080", token: undefined });
    expect(readSection(CLIENT, {}, { STREAMNEST_META: "b:1,c:2" })).toEqual({ meta: "b:1,c:2", token: undefined });
    expect(readSection(CLIENT, { meta: "a:9" }, { STREAMNEST_META: "b:1" })).toEqual({ meta: "a:9", token: undefined });
    expect(readSection(CLIENT, {}, { STREAMNEST_META: "" })).toEqual({ meta: "localhost:8080", token: undefined });
  });

  test("--token, else $STREAMNEST_TOKEN, else none", () => {
    expect(readSection(CLIENT, { token: "flag" }, { STREAMNEST_TOKEN: "env" }).token).toBe("flag");
    expect(readSection(CLIENT, {}, { STREAMNEST_TOKEN: "env" }).token).toBe("env");
    expect(readSection(CLIENT, {}, { STREAMNEST_TOKEN: "" }).token).toBeUndefined();
  });
});

describe("CLIENT_LIMITS", () => {
  test("values and units", () => {
    const summary = Object.fromEntries(Object.entries(CLIENT_LIMITS).map(([k, l]) => [k, `${l.value} ${l.unit}`]));
    expect(summary).toEqual({
      requestTimeoutMs: "30000 ms",
      longPollMs: "20000 ms",
      consumerReadMax: "1000 count",
      partitionWatchMs: "5000 ms",
      groupConsumerReadMax: "500 count",
      groupJoinWaitMs: "5000 ms",
      healthTimeoutMs: "3000 ms",
      retryFirstMs: "200 ms",
      retryMaxMs: "5000 ms",
      producerBatchMessages: "1000 count",
      producerRetryMs: "30000 ms",
      producerBatchBytes: "524288 bytes",
    });
  });

  test("a long poll ends before the request times out; retries back off upward", () => {
    expect(CLIENT_LIMITS.longPollMs.value).toBeLessThan(CLIENT_LIMITS.requestTimeoutMs.value);
    expect(CLIENT_LIMITS.retryFirstMs.value).toBeLessThan(CLIENT_LIMITS.retryMaxMs.value);
  });
});

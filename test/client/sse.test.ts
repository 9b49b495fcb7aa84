import { describe, expect, test } from "bun:test";
import { parseServerSentEvents, type ServerSentEvent } from "../../src/client/sse.ts";

/** A byte stream delivered in exactly these chunks, as a socket may split it. */
function chunked(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const event of parseServerSentEvents(stream)) events.push(event);
  return events;
}

describe("parseServerSentEvents", () => {
  test("reads named and unnamed events with ids, skipping comments", async () => {
    const events = await collect(
      chunked(": keep-alive\n\n", "id: 0\nevent: record\ndata: {\"offset\":0}\n\n", "data: plain\n\n"),
    );
    expect(events).toEqual([
      { event: "record", data: '{"offset":0}', id: "0" },
      { event: "message", data: "plain", id: "0" },
    ]);
  });

  test("joins multi-line data and accepts CRLF, CR and LF, even split across chunks", async () => {
    const events = await collect(chunked("data: a\r", "\ndata: b\r\r", "data:c\n", "\n"));
    expect(events).toEqual([
      { event: "message", data: "a\nb", id: undefined },
      { event: "message", data: "c", id: undefined },
    ]);
  });

  test("decodes UTF-8 split inside a character and ignores an unfinished last event", async () => {
    const bytes = new TextEncoder().encode("data: héllo 🌍\n\ndata: cut");
    const split = 9; // inside the two bytes of "é"
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, split));
        controller.enqueue(bytes.slice(split));
        controller.close();
      },
    });
    expect(await collect(stream)).toEqual([{ event: "message", data: "héllo 🌍", id: undefined }]);
  });
});

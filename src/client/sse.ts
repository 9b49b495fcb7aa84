/**
 * A reader of server-sent events, following the WHATWG "event stream interpretation"
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
 * lines end in LF, CR or CRLF; `data:` lines of one event are joined by LF; a blank
 * line dispatches; lines starting with ':' are comments (keep-alives).
 */

export interface ServerSentEvent {
  /** "message" when the server named none. */
  event: string;
  data: string;
  id?: string;
}

export async function* parseServerSentEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<ServerSentEvent, void, undefined> {
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let id: string | undefined;
  // A CR at the end of a chunk may be the first half of a CRLF split across chunks.
  let pendingCr = false;

  const dispatch = (): ServerSentEvent | undefined => {
    const ready = data.length > 0 ? { event: event || "message", data: data.join("\n"), id } : undefined;
    event = "";
    data = [];
    return ready;
  };

  const field = (line: string): void => {
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (name === "data") data.push(value);
    else if (name === "event") event = value;
    else if (name === "id" && !value.includes("\0")) id = value;
  };

  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      let text = decoder.decode(value, { stream: true });
      if (pendingCr && text.startsWith("\n")) text = text.slice(1);
      pendingCr = false;
      buffer += text;
      for (;;) {
        const match = /\r\n|\r|\n/.exec(buffer);
        if (!match) break;
        if (match[0] === "\r" && match.index === buffer.length - 1) pendingCr = true;
        const line = buffer.slice(0, match.index);
        buffer = buffer.slice(match.index + match[0].length);
        if (line === "") {
          const ready = dispatch();
          if (ready) yield ready;
        } else {
          field(line);
        }
      }
    }
  } finally {
    // Leaving the loop early (break, return, throw) must free the connection.
    await reader.cancel().catch(() => {});
  }
}

import { StreamNestError } from "../lib/errors.ts";

/**
 * The body parser of every route: the size limit first (413 before reading a byte when
 * Content-Length says too much, or as soon as a chunked body passes it), then JSON
 * whatever the Content-Type, since `curl -d` sends form encoding by default.
 */
export function jsonBodyParser(limit: number) {
  return async ({ request }: { request: Request }): Promise<unknown> => {
    const declared = request.headers.get("content-length");
    let text: string;
    if (declared !== null) {
      const length = Number(declared);
      if (length > limit) throw tooLarge(length, limit);
      text = await request.text();
    } else {
      text = await readLimited(request, limit);
    }
    // No body at all (a DELETE, say) is null, so routes that need one fail validation.
    if (text === "") return null;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new StreamNestError("INVALID_REQUEST", `the request body is not valid JSON: ${(error as Error).message}`);
    }
    // Checked here: Elysia's number coercion turns an array or a string into an object
    // before validation, and the error would then blame a field.
    if (typeof body !== "object" || body === null || Array.isArray(body))
      throw new StreamNestError(
        "INVALID_REQUEST",
        `the request body must be a JSON object, not ${body === null ? "null" : Array.isArray(body) ? "an array" : typeof body}`,
      );
    return body;
  };
}

async function readLimited(request: Request, limit: number): Promise<string> {
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(total, limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function tooLarge(length: number, limit: number): StreamNestError {
  return new StreamNestError("BODY_TOO_LARGE", `the request body is over ${limit} bytes (at least ${length})`, { limit });
}

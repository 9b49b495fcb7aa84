import { readBodyBytes } from "./body.ts";

/**
 * The body of a call from another broker. Those calls declare their length (peer-fetch.ts
 * and peer-http.ts send whole buffers), and a body that declares one is read natively in
 * one piece: the server reads no more than the declared bytes, so the limit checked on
 * the header holds for the body. Reading it through a stream reader instead cost every
 * replica fetch a turn of JavaScript stream machinery per chunk. A body without a length
 * (chunked) is read through the limit-checking reader as before.
 */
export async function readInternalBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared === null || !/^[0-9]{1,15}$/.test(declared) || Number(declared) > limit) return readBodyBytes(request, limit);
  return new Uint8Array(await request.arrayBuffer());
}

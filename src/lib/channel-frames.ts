/**
 * The frames of the replication channel (INTERNAL_ROUTES.replicaChannel): one WebSocket
 * between a follower and a leader that carries replica fetches, each frame one binary
 * WebSocket message. A call is the same signed call as a POST to
 * INTERNAL_ROUTES.replicaFetch (its Authorization value and its body); an answer is the
 * same answer (status, signature, body) as that route's. Many calls may be open on one
 * channel at once (a follower of many partitions of one leader); each answer names its
 * call's id.
 *
 *   call:   u8 1 | u32 id | u16 authorization length | authorization (ASCII) | body
 *   answer: u8 2 | u32 id | u16 status | u8 body kind (0 binary, 1 JSON) |
 *           u16 signature length | signature (ASCII) | body
 *
 * Integers are big-endian. Decoding throws a FrameError on anything else: the channel
 * is then closed, as a broken HTTP exchange would be.
 */

import { putUint32 } from "./fast-bytes.ts";

const CALL = 1;
const ANSWER = 2;
const CALL_HEAD = 1 + 4 + 2;
const ANSWER_HEAD = 1 + 4 + 2 + 1 + 2;
const MAX_ID = 0xffff_ffff;
const MAX_TEXT = 0xffff;

export class FrameError extends Error {}

const encoder = new TextEncoder();
/** Not fatal: a text that is not what it should be fails the receiver's checks of its form. */
const decoder = new TextDecoder();

export interface ChannelCall {
  id: number;
  authorization: string;
  body: Uint8Array;
}

export interface ChannelAnswer {
  id: number;
  status: number;
  /** The body is JSON (an error's), not the binary fetch answer. */
  json: boolean;
  /** The answering broker's signature of the answer ("" when it sent none: a 401). */
  signature: string;
  body: Uint8Array;
}

function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > MAX_ID) throw new FrameError(`call id ${id} is not a 32-bit unsigned integer`);
}

/**
 * Writes `text` at `at` as one byte per character: both texts are base64url and header
 * tokens; anything else is refused (the receiver checks their form in full).
 */
function putAscii(frame: Uint8Array, at: number, text: string, what: string): void {
  const { read, written } = encoder.encodeInto(text, frame.subarray(at, at + text.length));
  if (read !== text.length || written !== text.length) throw new FrameError(`${what} is not ASCII`);
}

function checkTextLength(text: string, what: string): void {
  if (text.length > MAX_TEXT) throw new FrameError(`${what} is longer than ${MAX_TEXT} characters`);
}

export function encodeCall(call: ChannelCall): Uint8Array {
  checkId(call.id);
  const auth = call.authorization;
  checkTextLength(auth, "the authorization");
  const frame = new Uint8Array(CALL_HEAD + auth.length + call.body.length);
  frame[0] = CALL;
  putUint32(frame, 1, call.id);
  frame[5] = auth.length >>> 8;
  frame[6] = auth.length & 0xff;
  putAscii(frame, CALL_HEAD, auth, "the authorization");
  frame.set(call.body, CALL_HEAD + auth.length);
  return frame;
}

/** The call in `frame`; the body is a view into it. */
export function decodeCall(frame: Uint8Array): ChannelCall {
  if (frame.length < CALL_HEAD || frame[0] !== CALL) throw new FrameError("not a call frame");
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const id = view.getUint32(1);
  const authEnd = CALL_HEAD + view.getUint16(5);
  if (authEnd > frame.length) throw new FrameError("the call frame ends inside its authorization");
  return { id, authorization: decoder.decode(frame.subarray(CALL_HEAD, authEnd)), body: frame.subarray(authEnd) };
}

/**
 * An answer's frame from its body's parts (sent back to back, as the HTTP route sends
 * them), in a buffer from `alloc` (a reused one: a sender that copies the frame before
 * returning, as a WebSocket's send does, then writes no fresh pages per answer).
 */
export function encodeAnswer(
  answer: Omit<ChannelAnswer, "body">,
  parts: readonly Uint8Array[],
  alloc: (size: number) => Uint8Array = (size) => new Uint8Array(size),
): Uint8Array {
  checkId(answer.id);
  if (!Number.isInteger(answer.status) || answer.status < 100 || answer.status > 599) throw new FrameError(`status ${answer.status} is not an HTTP status`);
  const signature = answer.signature;
  checkTextLength(signature, "the signature");
  let size = ANSWER_HEAD + signature.length;
  for (const part of parts) size += part.length;
  const frame = alloc(size);
  if (frame.length !== size) throw new FrameError(`a buffer of ${frame.length} bytes was given for a frame of ${size}`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  frame[0] = ANSWER;
  view.setUint32(1, answer.id);
  view.setUint16(5, answer.status);
  frame[7] = answer.json ? 1 : 0;
  view.setUint16(8, signature.length);
  putAscii(frame, ANSWER_HEAD, signature, "the signature");
  let at = ANSWER_HEAD + signature.length;
  for (const part of parts) {
    frame.set(part, at);
    at += part.length;
  }
  return frame;
}

/** The answer in `frame`; the body is a view into it. */
export function decodeAnswer(frame: Uint8Array): ChannelAnswer {
  if (frame.length < ANSWER_HEAD || frame[0] !== ANSWER) throw new FrameError("not an answer frame");
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const id = view.getUint32(1);
  const status = view.getUint16(5);
  if (status < 100 || status > 599) throw new FrameError(`status ${status} is not an HTTP status`);
  const kind = frame[7];
  if (kind !== 0 && kind !== 1) throw new FrameError(`body kind ${kind} is neither binary (0) nor JSON (1)`);
  const signatureEnd = ANSWER_HEAD + view.getUint16(8);
  if (signatureEnd > frame.length) throw new FrameError("the answer frame ends inside its signature");
  return {
    id,
    status,
    json: kind === 1,
    signature: decoder.decode(frame.subarray(ANSWER_HEAD, signatureEnd)),
    body: frame.subarray(signatureEnd),
  };
}

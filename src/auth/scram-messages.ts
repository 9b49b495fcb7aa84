import { StreamNestError } from "../lib/errors.ts";
import { isStrictBase64 } from "./scram-credential.ts";

/**
 * Parsing of SCRAM's client messages (RFC 5802 §7 grammar), kept apart from the state machine.
 * Every refusal is SASL_AUTHENTICATION_FAILED naming what is wrong; `details.scramError` holds
 * RFC 5802's server-error-value for adapters that send `e=` (Kafka sends the message instead).
 */
export type ScramErrorValue =
  | "invalid-encoding"
  | "extensions-not-supported"
  | "invalid-proof"
  | "channel-bindings-dont-match"
  | "channel-binding-not-supported"
  | "other-error";

export function scramFailure(scramError: ScramErrorValue, message: string): StreamNestError {
  return new StreamNestError("SASL_AUTHENTICATION_FAILED", message, { scramError });
}

export const MAX_SCRAM_MESSAGE_BYTES = 8192;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export function decodeScramMessage(message: string | Uint8Array, which: string): string {
  if (typeof message === "string") {
    if (!message.isWellFormed()) throw scramFailure("invalid-encoding", `${which} is not valid UTF-8`);
    if (Buffer.byteLength(message, "utf8") > MAX_SCRAM_MESSAGE_BYTES)
      throw scramFailure("invalid-encoding", `${which} is longer than ${MAX_SCRAM_MESSAGE_BYTES} bytes`);
    return message;
  }
  if (message.length > MAX_SCRAM_MESSAGE_BYTES)
    throw scramFailure("invalid-encoding", `${which} is longer than ${MAX_SCRAM_MESSAGE_BYTES} bytes`);
  try {
    return strictUtf8.decode(message);
  } catch {
    throw scramFailure("invalid-encoding", `${which} is not valid UTF-8`);
  }
}

/** saslname (RFC 5802 §5.1): ',' and '=' travel as "=2C" and "=3D"; any other '=' is an error. */
export function decodeSaslName(text: string, what: string): string {
  if (text.length === 0) throw scramFailure("invalid-encoding", `${what} is empty`);
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\u0000") throw scramFailure("invalid-encoding", `${what} contains NUL`);
    if (ch !== "=") {
      out += ch;
      continue;
    }
    const escape = text.slice(i + 1, i + 3);
    if (escape === "2C") out += ",";
    else if (escape === "3D") out += "=";
    else throw scramFailure("invalid-encoding", `${what} has '=' not followed by 2C or 3D`);
    i += 2;
  }
  return out;
}

export function encodeSaslName(name: string): string {
  return name.replaceAll("=", "=3D").replaceAll(",", "=2C");
}

// printable = %x21-2B / %x2D-7E (RFC 5802 §7): visible ASCII except ','.
const NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;

export function isValidNonce(nonce: string): boolean {
  return NONCE.test(nonce);
}

function attribute(part: string | undefined, name: string, which: string): string {
  if (part === undefined || part === "") throw scramFailure("invalid-encoding", `${which} lacks the ${name}= attribute`);
  if (!part.startsWith(`${name}=`)) {
    const found = /^[A-Za-z]=/.test(part) ? `${part[0]}=` : JSON.stringify(part.slice(0, 16));
    throw scramFailure("invalid-encoding", `${which}: expected ${name}= but found ${found}`);
  }
  return part.slice(2);
}

function refuseExtensions(parts: readonly string[], which: string): void {
  if (parts.length === 0) return;
  const keys = parts.map((p) => p.split("=", 1)[0]);
  // KIP-48/KIP-84: `tokenauth=true` asks to authenticate with a Kafka delegation token.
  if (keys.includes("tokenauth"))
    throw scramFailure("extensions-not-supported", `${which}: delegation tokens (tokenauth) are not supported`);
  throw scramFailure("extensions-not-supported", `${which}: SCRAM extensions are not supported (${keys.join(", ")})`);
}

export interface ClientFirstMessage {
  /** gs2-header exactly as sent, e.g. "n,,": client-final's c= must be its base64. */
  readonly gs2Header: string;
  readonly authzid?: string;
  readonly username: string;
  readonly clientNonce: string;
  /** client-first-message-bare, the first part of AuthMessage. */
  readonly bare: string;
}

export function parseClientFirst(text: string): ClientFirstMessage {
  const which = "SCRAM client-first message";
  const flag = text[0];
  if (flag === "p")
    throw scramFailure(
      "channel-binding-not-supported",
      `${which}: channel binding (p=) is not supported; use SCRAM without -PLUS`,
    );
  if ((flag !== "n" && flag !== "y") || text[1] !== ",")
    throw scramFailure("invalid-encoding", `${which} must start with a gs2 header "n,", "y," or "p=…,"`);
  const authzEnd = text.indexOf(",", 2);
  if (authzEnd < 0) throw scramFailure("invalid-encoding", `${which}: gs2 header is not terminated by ','`);
  const authzPart = text.slice(2, authzEnd);
  let authzid: string | undefined;
  if (authzPart.length > 0) authzid = decodeSaslName(attribute(authzPart, "a", which), "authorization id");
  const gs2Header = text.slice(0, authzEnd + 1);
  const bare = text.slice(authzEnd + 1);
  const parts = bare.split(",");
  if (parts[0]?.startsWith("m="))
    throw scramFailure("extensions-not-supported", `${which}: mandatory extension (m=) is not supported`);
  const username = decodeSaslName(attribute(parts[0], "n", which), "user name");
  const clientNonce = attribute(parts[1], "r", which);
  if (!isValidNonce(clientNonce))
    throw scramFailure("invalid-encoding", `${which}: nonce is empty or has characters outside printable ASCII`);
  refuseExtensions(parts.slice(2), which);
  return { gs2Header, ...(authzid === undefined ? {} : { authzid }), username, clientNonce, bare };
}

export interface ClientFinalMessage {
  /** The decoded c= value: gs2 header (+ channel binding data, which we never accept). */
  readonly channelBinding: Buffer;
  readonly nonce: string;
  readonly proof: Buffer;
  /** client-final-message-without-proof, the last part of AuthMessage. */
  readonly withoutProof: string;
}

export function parseClientFinal(text: string): ClientFinalMessage {
  const which = "SCRAM client-final message";
  const parts = text.split(",");
  const c = attribute(parts[0], "c", which);
  if (!isStrictBase64(c) || c.length === 0) throw scramFailure("invalid-encoding", `${which}: c= is not base64`);
  const nonce = attribute(parts[1], "r", which);
  if (parts.length < 3) throw scramFailure("invalid-encoding", `${which} lacks the p= attribute`);
  const proofText = attribute(parts[parts.length - 1], "p", which);
  refuseExtensions(parts.slice(2, -1), which);
  if (!isStrictBase64(proofText) || proofText.length === 0)
    throw scramFailure("invalid-encoding", `${which}: p= is not base64`);
  return {
    channelBinding: Buffer.from(c, "base64"),
    nonce,
    proof: Buffer.from(proofText, "base64"),
    withoutProof: parts.slice(0, -1).join(","),
  };
}

import { createHmac } from "node:crypto";
import { StreamNestError } from "../lib/errors.ts";
import { type Principal, userNameProblem } from "./principal.ts";
import { DEFAULT_SCRAM_ITERATIONS, type ScramCredential, passwordMatches } from "./scram-credential.ts";
import type { ScramCredentialLookup } from "./scram-server.ts";

/**
 * SASL/PLAIN (RFC 4616), verified against the user's SCRAM credential: the password is run
 * through PBKDF2 with the stored salt and compared with StoredKey, so one stored credential
 * serves PLAIN and SCRAM and the plain password is never kept. PLAIN sends the password
 * itself: adapters should offer it only over TLS.
 */
export interface PlainMessage {
  readonly authzid?: string;
  readonly username: string;
  readonly password: string;
}

// RFC 4616 §2: authcid and passwd are 1..255 octets.
const MAX_FIELD_BYTES = 255;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function malformed(reason: string): StreamNestError {
  return new StreamNestError("SASL_AUTHENTICATION_FAILED", `malformed SASL/PLAIN message: ${reason}`);
}

export function parsePlainMessage(message: string | Uint8Array): PlainMessage {
  let text: string;
  if (typeof message === "string") {
    if (!message.isWellFormed()) throw malformed("not valid UTF-8");
    text = message;
  } else {
    try {
      text = strictUtf8.decode(message);
    } catch {
      throw malformed("not valid UTF-8");
    }
  }
  const fields = text.split("\u0000");
  if (fields.length !== 3) throw malformed(`expected authzid NUL authcid NUL passwd, found ${fields.length} field(s)`);
  const [authzid, username, password] = fields as [string, string, string];
  if (username.length === 0) throw malformed("the user name is empty");
  if (password.length === 0) throw malformed("the password is empty");
  for (const [what, value] of [["authorization id", authzid], ["user name", username], ["password", password]] as const)
    if (Buffer.byteLength(value, "utf8") > MAX_FIELD_BYTES) throw malformed(`the ${what} is longer than ${MAX_FIELD_BYTES} bytes`);
  return authzid.length > 0 ? { authzid, username, password } : { username, password };
}

export interface PlainAuthOptions {
  readonly credentialOf: ScramCredentialLookup;
  /** Same secret as the SCRAM server's: unknown users cost one PBKDF2 run like known ones. */
  readonly fakeCredentialSecret: Uint8Array;
  readonly fakeIterations?: number;
}

const FAILED = "Authentication failed: Invalid username or password";

/** Returns the principal or throws SASL_AUTHENTICATION_FAILED (one message for every failure). */
export function authenticatePlain(message: string | Uint8Array, options: PlainAuthOptions): Principal {
  const { authzid, username, password } = parsePlainMessage(message);
  // As Kafka's PlainSaslServer: acting as another user is not supported.
  if (authzid !== undefined && authzid !== username)
    throw new StreamNestError("SASL_AUTHENTICATION_FAILED", "Authentication failed: authorization id must be absent or equal to the user name");
  const known = userNameProblem(username) === undefined;
  const credential = known
    ? (options.credentialOf(username, "SCRAM-SHA-256") ?? options.credentialOf(username, "SCRAM-SHA-512"))
    : undefined;
  const checked: ScramCredential = credential ?? fakeCredential(username, options);
  const matches = passwordMatches(checked, password);
  if (!matches || credential === undefined) throw new StreamNestError("SASL_AUTHENTICATION_FAILED", FAILED);
  return `User:${username}`;
}

function fakeCredential(username: string, options: PlainAuthOptions): ScramCredential {
  const derive = (label: string): string =>
    createHmac("sha256", options.fakeCredentialSecret).update(`streamnest-plain-fake ${label}\u0000${username}`).digest("base64");
  return {
    mechanism: "SCRAM-SHA-256",
    salt: derive("salt"),
    iterations: options.fakeIterations ?? DEFAULT_SCRAM_ITERATIONS,
    storedKey: derive("stored-key"),
    serverKey: derive("server-key"),
  };
}

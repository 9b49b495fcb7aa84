import { StreamNestError } from "../../lib/errors.ts";
import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";
import { saslStep } from "../sasl-step.ts";

const EMPTY = new Uint8Array(0);

/**
 * SaslAuthenticate (KIP-152): one client token in, the server's token out. Only after a
 * SaslHandshake v1 (after v0 the tokens come bare, see sasl-step.ts); after success, or on
 * a listener without SASL, it is ILLEGAL_SASL_STATE, as in Kafka's KafkaApis. The last
 * answer of an exchange carries the session lifetime (KIP-368; 0: none), by which the
 * client knows when to re-authenticate.
 */
export async function handleSaslAuthenticate(ctx: KafkaContext, { body, conn }: Call<"SaslAuthenticate">) {
  const exchange = conn.auth.exchange;
  if (ctx.sasl === undefined || exchange === undefined || exchange.handshakeVersion === 0) {
    const why = conn.auth.saslDone || ctx.sasl === undefined ? "no SASL exchange is open on this connection" : "SaslAuthenticate before a SaslHandshake v1";
    if (!conn.auth.saslDone && ctx.sasl !== undefined) conn.endAfterAnswer(why);
    return { errorCode: KAFKA_ERROR.ILLEGAL_SASL_STATE, errorMessage: why, authBytes: EMPTY, sessionLifetimeMs: 0n };
  }
  const step = saslStep(ctx, conn, body.authBytes);
  if (step instanceof StreamNestError) {
    const errorCode = step.code === "ILLEGAL_SASL_STATE" ? KAFKA_ERROR.ILLEGAL_SASL_STATE : KAFKA_ERROR.SASL_AUTHENTICATION_FAILED;
    return { errorCode, errorMessage: step.message, authBytes: EMPTY, sessionLifetimeMs: 0n };
  }
  const lifetime = conn.auth.exchange === undefined ? BigInt(ctx.options.reauthMs ?? 0) : 0n;
  return { errorCode: KAFKA_ERROR.NONE, errorMessage: null, authBytes: step, sessionLifetimeMs: lifetime };
}

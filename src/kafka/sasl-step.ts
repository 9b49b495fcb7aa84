import { principalName } from "../auth/principal.ts";
import { StreamNestError } from "../lib/errors.ts";
import type { ConnectionInfo, KafkaContext } from "./context.ts";
import { errorMessage } from "./error-map.ts";
import { encodeBareSaslToken } from "./protocol/index.ts";

/**
 * One client token through the connection's open SASL exchange: the server's token, or the
 * error to tell the client. A failure ends the exchange and the connection (after the
 * answer) and is logged with its cause; the client is told only that authentication failed,
 * never whether the user exists (Kafka's message, the same for every cause).
 */
export function saslStep(ctx: KafkaContext, conn: ConnectionInfo, token: Uint8Array): Uint8Array | StreamNestError {
  const exchange = conn.auth.exchange;
  if (exchange === undefined) return new StreamNestError("ILLEGAL_SASL_STATE", "no SASL exchange is open on this connection");
  const mechanism = exchange.session.mechanism;
  try {
    const step = exchange.session.step(token);
    if (step.principal !== undefined) {
      const again = conn.auth.saslDone;
      // KIP-368: a re-authentication must name the principal the connection already is.
      if (again && step.principal !== conn.auth.principal)
        throw new StreamNestError("SASL_AUTHENTICATION_FAILED", `re-authentication as ${step.principal} on a connection of ${conn.auth.principal}`);
      conn.auth.succeeded(step.principal, Date.now(), ctx.options.reauthMs ?? 0);
      ctx.log(`kafka: ${conn.clientHost} ${again ? "re-authenticated" : "authenticated"} as user ${JSON.stringify(principalName(step.principal))} with SASL/${mechanism}`);
    }
    return step.response;
  } catch (error) {
    conn.auth.exchange = undefined;
    ctx.log(`kafka: failed SASL/${mechanism} authentication from ${conn.clientHost}: ${errorMessage(error)}`);
    if (error instanceof StreamNestError && error.code === "ILLEGAL_SASL_STATE") {
      conn.endAfterAnswer("a SASL message out of turn");
      return error;
    }
    conn.endAfterAnswer(`failed SASL/${mechanism} authentication`);
    return new StreamNestError(
      "SASL_AUTHENTICATION_FAILED",
      `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`,
    );
  }
}

/**
 * After a SaslHandshake v0 the client sends each token as a bare size-prefixed frame and
 * reads the server's the same way (KIP-43's original framing); a failure just closes.
 */
export function answerBareToken(ctx: KafkaContext, frame: Uint8Array, conn: ConnectionInfo): Uint8Array | "close" {
  const answer = saslStep(ctx, conn, frame);
  return answer instanceof StreamNestError ? "close" : encodeBareSaslToken(answer);
}

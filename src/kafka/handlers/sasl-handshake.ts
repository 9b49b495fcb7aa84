import { createSaslSession, SASL_MECHANISMS } from "../../auth/sasl-session.ts";
import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { errorMessage } from "../error-map.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";

/**
 * SaslHandshake (KIP-43): opens a SASL exchange with the mechanism the client names. As
 * Kafka's SaslServerAuthenticator: an unknown mechanism is answered UNSUPPORTED_SASL_MECHANISM
 * with the enabled list, then the connection closes; a handshake on a listener without SASL,
 * or a second one, is ILLEGAL_SASL_STATE, unless sessions have a lifetime (KIP-368): then a
 * handshake v1 after a successful one opens the re-authentication.
 */
export async function handleSaslHandshake(ctx: KafkaContext, { body, version, conn }: Call<"SaslHandshake">) {
  const sasl = ctx.sasl;
  const mechanisms = sasl === undefined ? [] : [...(sasl.enabledMechanisms ?? SASL_MECHANISMS)];
  const reauthentication = conn.auth.saslDone && (ctx.options.reauthMs ?? 0) > 0 && version >= 1;
  if (sasl === undefined || (conn.auth.saslDone && !reauthentication) || conn.auth.exchange !== undefined) {
    if (sasl !== undefined) conn.endAfterAnswer("a second SaslHandshake on one connection");
    return { errorCode: KAFKA_ERROR.ILLEGAL_SASL_STATE, mechanisms };
  }
  try {
    conn.auth.exchange = { session: createSaslSession(body.mechanism, sasl), handshakeVersion: version };
    return { errorCode: KAFKA_ERROR.NONE, mechanisms };
  } catch (error) {
    ctx.log(`kafka: SASL handshake from ${conn.clientHost} refused: ${errorMessage(error)}`);
    conn.endAfterAnswer(`unsupported SASL mechanism ${JSON.stringify(body.mechanism)}`);
    return { errorCode: KAFKA_ERROR.UNSUPPORTED_SASL_MECHANISM, mechanisms };
  }
}

import { type Principal, userNameProblem } from "./principal.ts";

/** The part of node:tls's PeerCertificate read here: the subject's attributes (one value, or several). */
export interface CertificateSubject {
  readonly subject?: Readonly<Record<string, string | readonly string[] | undefined>> | undefined;
}

/**
 * The principal of a verified client certificate: `User:<subject CN>`, which is what
 * Kafka's SSL listener yields with `ssl.principal.mapping.rules=RULE:^CN=([^,]+).*$/$1/`
 * (KIP-371), so the same ACLs serve a certificate and a SASL user of that name. None
 * (undefined) for a certificate without exactly one CN, or whose CN is no valid user name
 * (empty, `*`, control characters): such a client must authenticate otherwise. The caller
 * passes only a certificate the TLS handshake verified against --tls-ca.
 */
export function certificatePrincipal(certificate: CertificateSubject | undefined): Principal | undefined {
  const cn = certificate?.subject?.CN;
  if (typeof cn !== "string" || userNameProblem(cn) !== undefined) return undefined;
  return `User:${cn}`;
}

import { describe, expect, test } from "bun:test";
import { StreamNestError } from "../../src/lib/errors.ts";
import {
  decodeSaslName,
  encodeSaslName,
  isValidNonce,
  parseClientFinal,
  parseClientFirst,
} from "../../src/auth/scram-messages.ts";

function message(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof StreamNestError) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error("expected a StreamNestError");
}

describe("SCRAM message parsing", () => {
  test("saslname escaping round-trips ',' and '='", () => {
    expect(encodeSaslName("a,b=c,,==")).toBe("a=2Cb=3Dc=2C=2C=3D=3D");
    expect(decodeSaslName("a=2Cb=3Dc=2C=2C=3D=3D", "n")).toBe("a,b=c,,==");
    expect(decodeSaslName("plain", "n")).toBe("plain");
    expect(decodeSaslName("=3D2C", "n")).toBe("=2C");
    expect(message(() => decodeSaslName("a=2c", "user name"))).toBe(
      "SASL_AUTHENTICATION_FAILED: user name has '=' not followed by 2C or 3D",
    );
    expect(message(() => decodeSaslName("a=", "user name"))).toBe(
      "SASL_AUTHENTICATION_FAILED: user name has '=' not followed by 2C or 3D",
    );
    expect(message(() => decodeSaslName("a\u0000", "user name"))).toBe("SASL_AUTHENTICATION_FAILED: user name contains NUL");
  });

  test("nonce is printable ASCII without ','", () => {
    expect(isValidNonce("rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")).toBe(true);
    expect(isValidNonce("a,b")).toBe(false);
    expect(isValidNonce("")).toBe(false);
    expect(isValidNonce("é")).toBe(false);
    expect(isValidNonce("a b")).toBe(false);
  });

  test("client-first parts: gs2 header, authzid, user, nonce, bare message", () => {
    expect(parseClientFirst("n,,n=user,r=rOprNGfwEbeRWgbNEkqO")).toEqual({
      gs2Header: "n,,",
      username: "user",
      clientNonce: "rOprNGfwEbeRWgbNEkqO",
      bare: "n=user,r=rOprNGfwEbeRWgbNEkqO",
    });
    expect(parseClientFirst("y,a=x=2Cy,n=x=2Cy,r=N")).toEqual({
      gs2Header: "y,a=x=2Cy,",
      authzid: "x,y",
      username: "x,y",
      clientNonce: "N",
      bare: "n=x=2Cy,r=N",
    });
  });

  test("client-final parts: decoded c=, nonce, proof, message without proof", () => {
    expect(parseClientFinal("c=biws,r=abc,p=AAECAw==")).toEqual({
      channelBinding: Buffer.from("n,,"),
      nonce: "abc",
      proof: Buffer.from([0, 1, 2, 3]),
      withoutProof: "c=biws,r=abc",
    });
    expect(message(() => parseClientFinal("c=,r=abc,p=AAAA"))).toBe(
      "SASL_AUTHENTICATION_FAILED: SCRAM client-final message: c= is not base64",
    );
    expect(message(() => parseClientFinal("c=biws,r=abc,p="))).toBe(
      "SASL_AUTHENTICATION_FAILED: SCRAM client-final message: p= is not base64",
    );
  });
});

import { describe, expect, test } from "bun:test";
import { createHash, createHmac, pbkdf2Sync } from "node:crypto";
import { StreamNestError } from "../../src/lib/errors.ts";
import {
  type ScramCredential,
  createScramCredential,
  isStrictBase64,
  iterationsProblem,
  passwordMatches,
  scramCredentialsForPassword,
  scramCredentialProblem,
} from "../../src/auth/scram-credential.ts";

// RFC 7677 §3's example: user "user", password "pencil", this salt, 4096 iterations.
const RFC7677_SALT = Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64");

// Independent derivation straight from RFC 5802 §3, to check the module against.
function reference(hashName: "sha256" | "sha512", bytes: number, password: string, salt: Buffer, i: number) {
  const salted = pbkdf2Sync(password, salt, i, bytes, hashName);
  const clientKey = createHmac(hashName, salted).update("Client Key").digest();
  return {
    storedKey: createHash(hashName).update(clientKey).digest("base64"),
    serverKey: createHmac(hashName, salted).update("Server Key").digest("base64"),
  };
}

describe("SCRAM credential", () => {
  test("SHA-256 credential of RFC 7677's example holds salt, iterations, StoredKey and ServerKey only", () => {
    const credential = createScramCredential("SCRAM-SHA-256", "pencil", { salt: RFC7677_SALT });
    expect(credential).toEqual({
      mechanism: "SCRAM-SHA-256",
      salt: "W22ZaJ0SNY7soEsUEjb6gQ==",
      iterations: 4096,
      ...reference("sha256", 32, "pencil", RFC7677_SALT, 4096),
    });
    expect(JSON.stringify(credential)).not.toContain("pencil");
  });

  test("SHA-512 credential matches the RFC 5802 derivation with SHA-512 and 64-byte keys", () => {
    const salt = Buffer.from("0123456789abcdef0123456789abcdef");
    const credential = createScramCredential("SCRAM-SHA-512", "s3cret", { salt, iterations: 8192 });
    expect(credential.iterations).toBe(8192);
    expect(Buffer.from(credential.storedKey, "base64").length).toBe(64);
    expect(credential).toMatchObject(reference("sha512", 64, "s3cret", salt, 8192));
  });

  test("random salt of 32 bytes by default, different on every creation", () => {
    const a = createScramCredential("SCRAM-SHA-256", "pw");
    const b = createScramCredential("SCRAM-SHA-256", "pw");
    expect(Buffer.from(a.salt, "base64").length).toBe(32);
    expect(a.salt).not.toBe(b.salt);
    expect(a.storedKey).not.toBe(b.storedKey);
  });

  test("passwordMatches: right password yes, wrong or near-miss no", () => {
    const credential = createScramCredential("SCRAM-SHA-512", "correct horse");
    expect(passwordMatches(credential, "correct horse")).toBe(true);
    expect(passwordMatches(credential, "correct hors")).toBe(false);
    expect(passwordMatches(credential, "Correct horse")).toBe(false);
    expect(passwordMatches(credential, "")).toBe(false);
  });

  test("iterations must be within Kafka's 4096..16384", () => {
    expect(iterationsProblem(4096)).toBeUndefined();
    expect(iterationsProblem(16384)).toBeUndefined();
    expect(iterationsProblem(4095)).toBe("iterations 4095 is outside 4096..16384");
    expect(iterationsProblem(16385)).toBe("iterations 16385 is outside 4096..16384");
    expect(iterationsProblem(5000.5)).toBe("iterations must be an integer");
    let caught: unknown;
    try {
      createScramCredential("SCRAM-SHA-256", "pw", { iterations: 1000 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StreamNestError);
    expect((caught as StreamNestError).message).toBe("iterations 1000 is outside 4096..16384");
  });

  test("empty password and unknown mechanism are refused", () => {
    expect(() => createScramCredential("SCRAM-SHA-256", "")).toThrow("password must be a non-empty string");
    expect(() => createScramCredential("SCRAM-SHA-1" as "SCRAM-SHA-256", "pw")).toThrow('unknown SCRAM mechanism "SCRAM-SHA-1"');
  });

  test("strict base64", () => {
    expect(isStrictBase64("biws")).toBe(true);
    expect(isStrictBase64("W22ZaJ0SNY7soEsUEjb6gQ==")).toBe(true);
    expect(isStrictBase64("")).toBe(true);
    expect(isStrictBase64("biw")).toBe(false);
    expect(isStrictBase64("bi$s")).toBe(false);
    expect(isStrictBase64("biws=")).toBe(false);
    expect(isStrictBase64("b-_s")).toBe(false);
  });

  test("shape check of a stored credential names the problem", () => {
    const good: ScramCredential = createScramCredential("SCRAM-SHA-256", "pw");
    expect(scramCredentialProblem(good)).toBeUndefined();
    expect(scramCredentialProblem(JSON.parse(JSON.stringify(good)))).toBeUndefined();
    expect(scramCredentialProblem(null)).toBe("SCRAM credential must be an object");
    expect(scramCredentialProblem({ ...good, mechanism: "MD5" })).toBe('unknown SCRAM mechanism "MD5"');
    expect(scramCredentialProblem({ ...good, iterations: 10 })).toBe("iterations 10 is outside 4096..16384");
    expect(scramCredentialProblem({ ...good, salt: "" })).toBe("salt is empty");
    expect(scramCredentialProblem({ ...good, storedKey: "not base64!" })).toBe("storedKey must be base64");
    expect(scramCredentialProblem({ ...good, serverKey: Buffer.alloc(64).toString("base64") })).toBe(
      "serverKey must be 32 bytes for SCRAM-SHA-256",
    );
    expect(scramCredentialProblem({ ...good, password: "pw" })).toBe('unknown SCRAM credential field "password"');
  });

  test("credentials for a password: one per mechanism, separate salts, each verifying the password", () => {
    const credentials = scramCredentialsForPassword("hunter2", { iterations: 4096 });
    expect(credentials.map((c) => c.mechanism)).toEqual(["SCRAM-SHA-256", "SCRAM-SHA-512"]);
    expect(credentials[0].salt).not.toBe(credentials[1].salt);
    for (const c of credentials) {
      expect(passwordMatches(c, "hunter2")).toBe(true);
      expect(passwordMatches(c, "hunter3")).toBe(false);
    }
  });
});

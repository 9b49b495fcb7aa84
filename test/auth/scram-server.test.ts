import { describe, expect, test } from "bun:test";
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { StreamNestError } from "../../src/lib/errors.ts";
import { type ScramCredential, type ScramMechanism, createScramCredential } from "../../src/auth/scram-credential.ts";
import { type ScramCredentialLookup, ScramServer } from "../../src/auth/scram-server.ts";

const SECRET = Buffer.alloc(32, 7);

// RFC 7677 §3: the SCRAM-SHA-256 exchange for user "user", password "pencil".
const RFC7677 = {
  clientFirst: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
  serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
  serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
  clientFinal:
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};

function users(entries: Record<string, string>, mechanisms: ScramMechanism[] = ["SCRAM-SHA-256", "SCRAM-SHA-512"]) {
  const table = new Map<string, ScramCredential>();
  for (const [name, password] of Object.entries(entries))
    for (const m of mechanisms) table.set(`${m}/${name}`, createScramCredential(m, password));
  const lookup: ScramCredentialLookup = (name, m) => table.get(`${m}/${name}`);
  return lookup;
}

function server(mechanism: ScramMechanism, credentialOf: ScramCredentialLookup, secret: Uint8Array = SECRET): ScramServer {
  return new ScramServer({ mechanism, credentialOf, fakeCredentialSecret: secret });
}

function refusal(run: () => unknown): { code: string; message: string; details?: unknown } {
  try {
    run();
  } catch (error) {
    if (error instanceof StreamNestError)
      return error.details === undefined
        ? { code: error.code, message: error.message }
        : { code: error.code, message: error.message, details: error.details };
    throw error;
  }
  throw new Error("expected a StreamNestError");
}

/** A SCRAM client written from RFC 5802 §3 with node:crypto, independent of the server code. */
class TestClient {
  readonly nonce = randomBytes(18).toString("base64");
  readonly #hash: "sha256" | "sha512";
  #authMessage = "";
  #salted = Buffer.alloc(0);

  constructor(
    mechanism: ScramMechanism,
    readonly username: string,
    readonly password: string,
    readonly gs2 = "n,,",
  ) {
    this.#hash = mechanism === "SCRAM-SHA-256" ? "sha256" : "sha512";
  }

  get bare(): string {
    return `n=${this.username.replaceAll("=", "=3D").replaceAll(",", "=2C")},r=${this.nonce}`;
  }

  first(): string {
    return this.gs2 + this.bare;
  }

  /** `noncePrefix`: what librdkafka 2.0 puts before the nonce (its own nonce again). */
  final(serverFirst: string, noncePrefix = ""): string {
    const attrs = Object.fromEntries(serverFirst.split(",").map((p) => [p[0], p.slice(2)]));
    expect(attrs.r.startsWith(this.nonce)).toBe(true);
    const bytes = this.#hash === "sha256" ? 32 : 64;
    this.#salted = pbkdf2Sync(this.password, Buffer.from(attrs.s, "base64"), Number(attrs.i), bytes, this.#hash);
    const withoutProof = `c=${Buffer.from(this.gs2).toString("base64")},r=${noncePrefix}${attrs.r}`;
    this.#authMessage = `${this.bare},${serverFirst},${withoutProof}`;
    const clientKey = createHmac(this.#hash, this.#salted).update("Client Key").digest();
    const storedKey = createHash(this.#hash).update(clientKey).digest();
    const signature = createHmac(this.#hash, storedKey).update(this.#authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]));
    return `${withoutProof},p=${proof.toString("base64")}`;
  }

  expectedServerFinal(): string {
    const serverKey = createHmac(this.#hash, this.#salted).update("Server Key").digest();
    return `v=${createHmac(this.#hash, serverKey).update(this.#authMessage).digest("base64")}`;
  }
}

function exchange(s: ScramServer, client: TestClient): { serverFinal: string; principal: string } {
  return s.clientFinal(client.final(s.clientFirst(client.first())));
}

const FAILED_256 = {
  code: "SASL_AUTHENTICATION_FAILED",
  message: "Authentication failed: invalid credentials with SASL mechanism SCRAM-SHA-256",
  details: { scramError: "invalid-proof" },
};

describe("SCRAM server: success", () => {
  test("librdkafka's client-final, its client nonce sent twice, is accepted as Kafka accepts it (the nonce ends with the server's)", () => {
    const client = new TestClient("SCRAM-SHA-256", "alice", "wonderland");
    const s = server("SCRAM-SHA-256", users({ alice: "wonderland" }));
    const serverFirst = s.clientFirst(client.first());
    const { serverFinal, principal } = s.clientFinal(client.final(serverFirst, client.nonce));
    expect(principal).toBe("User:alice");
    expect(serverFinal).toBe(client.expectedServerFinal());
  });

  test("RFC 7677's published SCRAM-SHA-256 exchange, byte for byte", () => {
    const credential = createScramCredential("SCRAM-SHA-256", "pencil", {
      salt: Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64"),
    });
    const s = new ScramServer({
      mechanism: "SCRAM-SHA-256",
      credentialOf: (name, m) => (name === "user" && m === "SCRAM-SHA-256" ? credential : undefined),
      fakeCredentialSecret: SECRET,
      serverNonce: () => RFC7677.serverNonce,
    });
    expect(s.state).toBe("awaiting-client-first");
    expect(s.clientFirst(RFC7677.clientFirst)).toBe(RFC7677.serverFirst);
    expect(s.state).toBe("awaiting-client-final");
    expect(s.clientFinal(RFC7677.clientFinal)).toEqual({ serverFinal: RFC7677.serverFinal, principal: "User:user" });
    expect(s.state).toBe("succeeded");
    expect(s.principal).toBe("User:user");
  });

  test("messages given as bytes work the same", () => {
    const lookup = users({ alice: "wonderland" });
    const s = server("SCRAM-SHA-256", lookup);
    const client = new TestClient("SCRAM-SHA-256", "alice", "wonderland");
    const serverFirst = s.clientFirst(Buffer.from(client.first()));
    const result = s.clientFinal(new TextEncoder().encode(client.final(serverFirst)));
    expect(result).toEqual({ serverFinal: client.expectedServerFinal(), principal: "User:alice" });
  });

  for (const mechanism of ["SCRAM-SHA-256", "SCRAM-SHA-512"] as const)
    test(`${mechanism} with an independent client; the client verifies the server signature`, () => {
      const s = server(mechanism, users({ alice: "wonderland", bob: "builder" }));
      const client = new TestClient(mechanism, "bob", "builder");
      const result = exchange(s, client);
      expect(result).toEqual({ serverFinal: client.expectedServerFinal(), principal: "User:bob" });
    });

  test("kafkajs's own SCRAM-SHA-512 and -256 clients authenticate", async () => {
    type KafkajsScram = new (
      sasl: { username: string; password: string },
      host: string,
      port: number,
      logger: { debug(): void; error(): void },
      saslAuthenticate: (io: { request: { encode(): Promise<Buffer> }; response: { parse(b: Buffer): Promise<unknown> } }) => Promise<unknown>,
      digest: unknown,
    ) => { authenticate(): Promise<void> };
    const { SCRAM, DIGESTS } = createRequire(import.meta.url)("kafkajs/src/broker/saslAuthenticator/scram.js") as {
      SCRAM: KafkajsScram;
      DIGESTS: { SHA256: unknown; SHA512: unknown };
    };
    const lookup = users({ "k,a=fka": "p@ss,=word" });
    for (const [mechanism, digest] of [["SCRAM-SHA-512", DIGESTS.SHA512], ["SCRAM-SHA-256", DIGESTS.SHA256]] as const) {
      const s = server(mechanism, lookup);
      let step = 0;
      const client = new SCRAM(
        { username: "k,a=fka", password: "p@ss,=word" },
        "127.0.0.1",
        9092,
        { debug() {}, error() {} },
        async ({ request, response }) => {
          const payload = (await request.encode()).subarray(4); // kafkajs frames SASL bytes with an int32 length
          const reply = step++ === 0 ? s.clientFirst(payload) : s.clientFinal(payload).serverFinal;
          return response.parse(Buffer.from(reply));
        },
        digest,
      );
      await client.authenticate();
      expect(s.state).toBe("succeeded");
      expect(s.principal).toBe("User:k,a=fka");
    }
  });

  test("user names with ',' and '=' travel escaped (=2C, =3D) and come back unescaped", () => {
    const s = server("SCRAM-SHA-256", users({ "a,b=c": "pw" }));
    const client = new TestClient("SCRAM-SHA-256", "a,b=c", "pw");
    expect(client.first()).toBe(`n,,n=a=2Cb=3Dc,r=${client.nonce}`);
    expect(exchange(s, client).principal).toBe("User:a,b=c");
  });

  test("gs2 flag y (client could bind, thinks we cannot) is accepted; its header must come back in c=", () => {
    const s = server("SCRAM-SHA-512", users({ alice: "pw" }));
    expect(exchange(s, new TestClient("SCRAM-SHA-512", "alice", "pw", "y,,")).principal).toBe("User:alice");
  });

  test("an authorization id equal to the user is accepted; another one is refused", () => {
    const lookup = users({ alice: "pw" });
    const ok = server("SCRAM-SHA-256", lookup);
    expect(exchange(ok, new TestClient("SCRAM-SHA-256", "alice", "pw", "n,a=alice,")).principal).toBe("User:alice");
    const other = server("SCRAM-SHA-256", lookup);
    expect(refusal(() => other.clientFirst("n,a=bob,n=alice,r=abc"))).toEqual({
      code: "SASL_AUTHENTICATION_FAILED",
      message: "SCRAM authorization id must be absent or equal to the user name",
      details: { scramError: "other-error" },
    });
  });
});

describe("SCRAM server: unknown user looks like a wrong password", () => {
  const lookup = users({ alice: "wonderland" });

  test("wrong password fails at client-final with the common message", () => {
    const s = server("SCRAM-SHA-256", lookup);
    expect(refusal(() => exchange(s, new TestClient("SCRAM-SHA-256", "alice", "wrong")))).toEqual(FAILED_256);
    expect(s.state).toBe("failed");
    expect(s.principal).toBeUndefined();
  });

  test("unknown user: server-first of the same shape, failure with the same message at the same step", () => {
    const s = server("SCRAM-SHA-256", lookup);
    const client = new TestClient("SCRAM-SHA-256", "mallory", "anything");
    const serverFirst = s.clientFirst(client.first());
    expect(serverFirst).toMatch(new RegExp(`^r=${client.nonce.replace(/[+/]/g, "\\$&")}[A-Za-z0-9+/=]{32},s=[A-Za-z0-9+/]{43}=,i=4096$`));
    const known = server("SCRAM-SHA-256", lookup).clientFirst(new TestClient("SCRAM-SHA-256", "alice", "x").first());
    expect(known).toMatch(/^r=[^,]+,s=[A-Za-z0-9+/]{43}=,i=4096$/);
    expect(refusal(() => s.clientFinal(client.final(serverFirst)))).toEqual(FAILED_256);
  });

  test("fake salt is stable per name (probing twice shows the same salt) and differs by name and secret", () => {
    const saltOf = (name: string, secret = SECRET): string => {
      const first = server("SCRAM-SHA-256", lookup, secret).clientFirst(`n,,n=${name},r=abc`);
      return first.split(",")[1];
    };
    expect(saltOf("mallory")).toBe(saltOf("mallory"));
    expect(saltOf("mallory")).not.toBe(saltOf("trudy"));
    expect(saltOf("mallory")).not.toBe(saltOf("mallory", Buffer.alloc(32, 8)));
    // a real user's salt is random per credential and not the fake one
    expect(saltOf("alice")).toBe(`s=${lookup("alice", "SCRAM-SHA-256")?.salt}`);
  });

  test("unknown users are announced the configured fakeIterations, to match what real users have", () => {
    const s = new ScramServer({ mechanism: "SCRAM-SHA-512", credentialOf: lookup, fakeCredentialSecret: SECRET, fakeIterations: 8192 });
    expect(s.clientFirst("n,,n=nobody,r=abc")).toMatch(/,i=8192$/);
  });

  test("a user with only a SHA-512 credential is unknown to SCRAM-SHA-256", () => {
    const s = server("SCRAM-SHA-256", users({ carol: "pw" }, ["SCRAM-SHA-512"]));
    expect(refusal(() => exchange(s, new TestClient("SCRAM-SHA-256", "carol", "pw")))).toEqual(FAILED_256);
  });

  test("the fake-credential secret must be at least 32 bytes", () => {
    expect(refusal(() => server("SCRAM-SHA-256", lookup, Buffer.alloc(16)))).toEqual({
      code: "INVALID_REQUEST",
      message: "the SCRAM fake-credential secret must be at least 32 bytes",
    });
    expect(refusal(() => server("SCRAM-SHA-1" as ScramMechanism, lookup))).toEqual({
      code: "UNSUPPORTED_SASL_MECHANISM",
      message: 'SASL mechanism "SCRAM-SHA-1" is not supported',
    });
  });
});

describe("SCRAM server: order and replay", () => {
  const lookup = users({ alice: "pw" });

  test("client-final before client-first, or client-first twice, is ILLEGAL_SASL_STATE", () => {
    const s = server("SCRAM-SHA-256", lookup);
    expect(refusal(() => s.clientFinal("c=biws,r=x,p=AAAA"))).toEqual({
      code: "ILLEGAL_SASL_STATE",
      message: "SCRAM client-final message received while the exchange is awaiting-client-first",
    });
    s.clientFirst("n,,n=alice,r=abc");
    expect(refusal(() => s.clientFirst("n,,n=alice,r=abc"))).toEqual({
      code: "ILLEGAL_SASL_STATE",
      message: "SCRAM client-first message received while the exchange is awaiting-client-final",
    });
  });

  test("a proof replayed on the same exchange after success is refused", () => {
    const s = server("SCRAM-SHA-256", lookup);
    const client = new TestClient("SCRAM-SHA-256", "alice", "pw");
    const final = client.final(s.clientFirst(client.first()));
    s.clientFinal(final);
    expect(refusal(() => s.clientFinal(final))).toEqual({
      code: "ILLEGAL_SASL_STATE",
      message: "SCRAM client-final message received while the exchange is succeeded",
    });
  });

  test("a captured client-final replayed in a new exchange fails: the server nonce is fresh", () => {
    const client = new TestClient("SCRAM-SHA-256", "alice", "pw");
    const first = server("SCRAM-SHA-256", lookup);
    const captured = client.final(first.clientFirst(client.first()));
    first.clientFinal(captured);
    const second = server("SCRAM-SHA-256", lookup);
    second.clientFirst(client.first());
    expect(refusal(() => second.clientFinal(captured))).toEqual({
      code: "SASL_AUTHENTICATION_FAILED",
      message: "SCRAM client-final nonce does not match the one of this exchange",
      details: { scramError: "other-error" },
    });
  });

  test("after a failure the exchange is over", () => {
    const s = server("SCRAM-SHA-256", lookup);
    expect(refusal(() => s.clientFirst("x")).code).toBe("SASL_AUTHENTICATION_FAILED");
    expect(s.state).toBe("failed");
    expect(refusal(() => s.clientFirst("n,,n=alice,r=abc")).code).toBe("ILLEGAL_SASL_STATE");
  });
});

describe("SCRAM server: malformed messages are refused clearly", () => {
  const lookup = users({ alice: "pw" });
  const firstRefusal = (message: string | Uint8Array) => refusal(() => server("SCRAM-SHA-256", lookup).clientFirst(message));
  const fail = (scramError: string, message: string) => ({ code: "SASL_AUTHENTICATION_FAILED", message, details: { scramError } });

  test("client-first", () => {
    const cases: [string | Uint8Array, string, string][] = [
      ["p=tls-server-end-point,,n=alice,r=abc", "channel-binding-not-supported", "SCRAM client-first message: channel binding (p=) is not supported; use SCRAM without -PLUS"],
      ["", "invalid-encoding", 'SCRAM client-first message must start with a gs2 header "n,", "y," or "p=…,"'],
      ["n=alice,r=abc", "invalid-encoding", 'SCRAM client-first message must start with a gs2 header "n,", "y," or "p=…,"'],
      ["n,", "invalid-encoding", "SCRAM client-first message: gs2 header is not terminated by ','"],
      ["n,x=1,n=alice,r=abc", "invalid-encoding", "SCRAM client-first message: expected a= but found x="],
      ["n,,r=abc", "invalid-encoding", "SCRAM client-first message: expected n= but found r="],
      ["n,,n=alice", "invalid-encoding", "SCRAM client-first message lacks the r= attribute"],
      ["n,,n=alice,r=", "invalid-encoding", "SCRAM client-first message: nonce is empty or has characters outside printable ASCII"],
      ["n,,n=alice,r=ab c", "invalid-encoding", "SCRAM client-first message: nonce is empty or has characters outside printable ASCII"],
      ["n,,n=,r=abc", "invalid-encoding", "user name is empty"],
      ["n,,n=al=2Xce,r=abc", "invalid-encoding", "user name has '=' not followed by 2C or 3D"],
      ["n,,n=al=ce,r=abc", "invalid-encoding", "user name has '=' not followed by 2C or 3D"],
      ["n,,m=ext,n=alice,r=abc", "extensions-not-supported", "SCRAM client-first message: mandatory extension (m=) is not supported"],
      ["n,,n=alice,r=abc,tokenauth=true", "extensions-not-supported", "SCRAM client-first message: delegation tokens (tokenauth) are not supported"],
      ["n,,n=alice,r=abc,foo=1,bar=2", "extensions-not-supported", "SCRAM client-first message: SCRAM extensions are not supported (foo, bar)"],
      [Buffer.from([0x6e, 0x2c, 0x2c, 0xff]), "invalid-encoding", "SCRAM client-first message is not valid UTF-8"],
      [`n,,n=alice,r=${"a".repeat(9000)}`, "invalid-encoding", "SCRAM client-first message is longer than 8192 bytes"],
    ];
    for (const [message, scramError, text] of cases) expect(firstRefusal(message)).toEqual(fail(scramError, text));
  });

  test("client-final", () => {
    const client = new TestClient("SCRAM-SHA-256", "alice", "pw");
    const run = (mutate: (good: string, nonce: string) => string) => {
      const s = server("SCRAM-SHA-256", lookup);
      const serverFirst = s.clientFirst(client.first());
      const nonce = serverFirst.split(",")[0].slice(2);
      return refusal(() => s.clientFinal(mutate(client.final(serverFirst), nonce)));
    };
    const proofOf = (good: string) => good.slice(good.indexOf(",p=") + 3);
    const which = "SCRAM client-final message";
    expect(run((g) => g.replace("c=biws", "c=bi$s"))).toEqual(fail("invalid-encoding", `${which}: c= is not base64`));
    expect(run((g) => g.replace("c=biws", "c=eSws"))).toEqual(
      fail("channel-bindings-dont-match", "SCRAM client-final c= does not match the gs2 header of client-first"),
    );
    expect(run((g, n) => g.replace(`r=${n}`, `r=${n}x`))).toEqual(
      fail("other-error", "SCRAM client-final nonce does not match the one of this exchange"),
    );
    expect(run((g) => g.slice(0, g.indexOf(",p=")))).toEqual(fail("invalid-encoding", `${which} lacks the p= attribute`));
    expect(run((g, n) => `r=${n},c=biws,p=${proofOf(g)}`)).toEqual(fail("invalid-encoding", `${which}: expected c= but found r=`));
    expect(run((g, n) => `c=biws,p=${proofOf(g)},r=${n}`)).toEqual(fail("invalid-encoding", `${which}: expected r= but found p=`));
    expect(run((g, n) => `c=biws,r=${n},x=1,p=${proofOf(g)}`)).toEqual(
      fail("extensions-not-supported", `${which}: SCRAM extensions are not supported (x)`),
    );
    expect(run((g) => `${g.slice(0, g.indexOf(",p="))},p=@@@@`)).toEqual(fail("invalid-encoding", `${which}: p= is not base64`));
    expect(run((g) => `${g.slice(0, g.indexOf(",p="))},p=AAAA`)).toEqual(
      fail("invalid-proof", "SCRAM proof must be 32 bytes for SCRAM-SHA-256"),
    );
    expect(run(() => "")).toEqual(fail("invalid-encoding", `${which} lacks the c= attribute`));
    // A proof with one flipped bit is a wrong password.
    expect(
      run((g) => {
        const proof = Buffer.from(proofOf(g), "base64");
        proof[0] ^= 1;
        return `${g.slice(0, g.indexOf(",p="))},p=${proof.toString("base64")}`;
      }),
    ).toEqual(FAILED_256);
  });
});

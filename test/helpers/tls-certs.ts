import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Certificates made at test time with Debian's openssl, in a temporary folder removed
 * after: a CA, and leaf certificates it signs for localhost and 127.0.0.1 (usable both
 * as server and as client certificates). No key is ever committed.
 *
 *   const certs = makeTestCa();
 *   const broker = certs.issue("broker");   // { cert, key } paths
 *   certs.ca;                               // the CA's certificate path
 *   certs.remove();
 */

export interface IssuedCert {
  cert: string;
  key: string;
}

export interface TestCa {
  dir: string;
  /** The CA's certificate (PEM). */
  ca: string;
  /** A certificate for localhost and 127.0.0.1 (or `altNames`, openssl's subjectAltName) signed by this CA, named `CN=<name>`. */
  issue(name: string, options?: { days?: number; altNames?: string }): IssuedCert;
  /** A self-signed certificate for localhost and 127.0.0.1, which this CA did not sign. */
  selfSigned(name: string): IssuedCert;
  remove(): void;
}

/** Runs openssl, throwing its error output if it fails. */
function openssl(args: string[], cwd: string): void {
  const run = Bun.spawnSync(["openssl", ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  if (run.exitCode !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${run.stderr.toString()}`);
}

/** P-256 keys: made in milliseconds, and every client under test (librdkafka, curl, Bun) takes them. */
const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

export function makeTestCa(name = "StreamNest Test CA"): TestCa {
  const dir = mkdtempSync(join(tmpdir(), "streamnest-tls-"));
  openssl(
    ["req", "-x509", ...EC_KEY, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", `/CN=${name}`,
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    dir,
  );
  const ext = join(dir, "leaf.ext");
  writeFileSync(
    ext,
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n",
  );
  let serial = 1;
  return {
    dir,
    ca: join(dir, "ca.pem"),
    issue(leaf, options = {}) {
      const base = `${leaf}-${serial}`;
      openssl(["req", ...EC_KEY, "-keyout", `${base}.key`, "-out", `${base}.csr`, "-subj", `/CN=${leaf}`], dir);
      let extfile = "leaf.ext";
      if (options.altNames !== undefined) {
        extfile = `${base}.ext`;
        writeFileSync(join(dir, extfile), `subjectAltName=${options.altNames}\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n`);
      }
      openssl(
        ["x509", "-req", "-in", `${base}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", String(serial++),
          "-out", `${base}.pem`, "-days", String(options.days ?? 2), "-extfile", extfile],
        dir,
      );
      return { cert: join(dir, `${base}.pem`), key: join(dir, `${base}.key`) };
    },
    selfSigned(leaf) {
      const base = `${leaf}-self-${serial++}`;
      openssl(
        ["req", "-x509", ...EC_KEY, "-keyout", `${base}.key`, "-out", `${base}.pem`, "-days", "2", "-subj", `/CN=${leaf}`,
          "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        dir,
      );
      return { cert: join(dir, `${base}.pem`), key: join(dir, `${base}.key`) };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The certificate's subject and issuer as openssl prints them, for a certificate served at 127.0.0.1:port. */
export async function servedSubject(port: number): Promise<string> {
  const proc = Bun.spawn(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-servername", "localhost"], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill(), 10_000);
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  clearTimeout(timer);
  return /^subject=(.*)$/m.exec(out)?.[1]?.trim() ?? "";
}

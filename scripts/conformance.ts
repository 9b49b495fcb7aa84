/**
 * `npm run conformance`: librdkafka's own test suite against a fresh StreamNest broker,
 * as an external check of the Kafka adapter.
 *
 * 1. Build (once, cached in .conformance/): librdkafka's sources ship in the
 *    @confluentinc/kafka-javascript npm tarball (deps/librdkafka); `npm pack` fetches it
 *    through npm's ordinary client, then `./configure --disable-curl --disable-sasl &&
 *    make libs && make -C tests build` builds tests/test-runner, downloading nothing.
 * 2. Run: a broker (or --brokers=N of them, peers of each other) on free HTTP and Kafka
 *    ports with their own data dirs, fresh for each test; each listed test runs alone (TESTS=<n>, never -Q: quick mode silently skips subtests),
 *    its verdict read from the runner's exit code; pass/fail printed per test.
 *
 *   npm run conformance                    build if needed, run the list below
 *   npm run conformance -- --build-only    build only
 *   npm run conformance -- 0001 0012       run these tests
 *   npm run conformance -- --brokers=3     against a cluster of three (replication factor 3)
 *
 * Which tests are listed, and which are excluded and why: README, "Kafka conformance".
 */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const CACHE = join(ROOT, ".conformance");
const PACKAGE = "@confluentinc/kafka-javascript@1.10.1";
const LIBRDKAFKA = join(CACHE, "package", "deps", "librdkafka");
const TESTS_DIR = join(LIBRDKAFKA, "tests");
const RUNNER = join(TESTS_DIR, "test-runner");
/** Each test's broker output, named by test: what to read when one fails. */
const LOGS = join(CACHE, "logs");
/** The Kafka release StreamNest's API versions correspond to (tests needing newer features skip themselves). */
const KAFKA_VERSION = "2.8.0";
/**
 * The suite's own timeouts scaled, as its CI does (test.c adds 2 when CI is set): the
 * brokers and the runner share 2 cores with other work here, and a test that times out
 * on a starved machine says nothing about the protocol. STREAMNEST_CONFORMANCE_TIMEOUT_MULTIPLIER overrides it.
 */
const TIMEOUT_MULTIPLIER = Number(process.env.STREAMNEST_CONFORMANCE_TIMEOUT_MULTIPLIER ?? "3");
/** A whole test number (all its sub-tests; 0045 alone runs seven) before the runner is killed. */
const TEST_TIMEOUT_MS = 1_200_000;
/**
 * The runner links librdkafka and librdkafka++ dynamically: the ones just built come first
 * (as the suite's run-test.sh sets them), never a system librdkafka of another release.
 */
const LIBRARY_PATH = [join(LIBRDKAFKA, "src"), join(LIBRDKAFKA, "src-cpp"), process.env.LD_LIBRARY_PATH].filter(Boolean).join(":");

/**
 * Tests that use only the APIs StreamNest speaks (produce, fetch, offsets, metadata with
 * auto-creation, CreateTopics, CreatePartitions, classic groups, idempotence), run with
 * -L (their broker tests; a number's *_mock and *_local tests never reach a broker).
 *
 * Excluded, each for an API or tool StreamNest does not offer (README, "Kafka conformance"):
 * - transactions: 0098, 0103, 0105, and 0055, 0061, 0137, each of which has a sub-test
 *   that calls init_transactions (InitProducerId with a transactional id, EndTxn, …);
 * - SASL, SSL, OAuth: 0097, 0115, 0119, 0126, 0133–0135;
 * - the admin APIs StreamNest lacks: 0081 (AlterConfigs, DeleteRecords, ACLs, …), 0092
 *   (AlterConfigs of message.format.version) and 0011,
 *   whose sub-test test_message_single_partition_record_fail sets cleanup.policy=compact
 *   with IncrementalAlterConfigs and expects compaction's INVALID_RECORD for keyless records;
 * - compaction: 0077; follower fetching: 0101;
 * - Kafka's own command-line tools: 0052 runs kafka-topics.sh with ZooKeeper (KAFKA_PATH,
 *   ZK_ADDRESS) to set message.timestamp.type per topic, 0109 runs Kafka's tools (KAFKA_PATH)
 *   to change broker settings between sub-tests;
 * - tests that never reach a broker (librdkafka's mock cluster or none): 0046, 0062, 0074,
 *   0095, 0106, 0116, 0120, and every *_mock; 0028 and 0047, which the runner skips as known
 *   librdkafka issues; 0053 and 0110, whose broker tests need RapidJSON, which this build lacks.
 *
 * 0107 and 0111 run only in the "noautocreate" scenario (NOAUTOCREATE_TESTS below), and
 * only with three brokers (they create topics with replication factor 3); 0045's two
 * noautocreate sub-tests run Kafka's kafka-topics.sh.
 */
export const CONFORMANCE_TESTS = [
  "0001", "0002", "0003", "0005", "0007", "0008", "0012", "0013", "0014", "0015",
  "0017", "0018", "0019", "0020", "0021", "0022", "0026", "0029", "0030",
  "0031", "0033", "0034", "0036", "0040", "0041", "0042", "0044", "0045", "0048",
  "0049", "0050", "0051", "0054", "0056", "0057", "0059", "0063", "0065",
  "0067", "0069", "0070", "0073", "0075", "0076", "0082", "0083", "0084", "0085",
  "0086", "0088", "0089", "0090", "0091", "0093", "0094", "0099",
  "0112", "0113", "0114", "0118", "0122", "0125", "0127",
  "0130", "0132",
];

/**
 * Tests of the suite's "noautocreate" scenario (tests/scenarios/noautocreate.json: a
 * broker with topic auto-creation off), run in it against brokers started with
 * --auto-create-topics=off. 0045's two noautocreate sub-tests are not among them: they
 * change topics with Kafka's kafka-topics.sh (KAFKA_PATH).
 */
export const NOAUTOCREATE_TESTS = ["0107", "0111"];

/**
 * Tests that create their topics with replication factor 3 written in (0107, 0111), which
 * one broker refuses as Kafka does (INVALID_REPLICATION_FACTOR): run with --brokers=3 only.
 */
export const THREE_BROKER_TESTS = ["0107", "0111"];

async function sh(command: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 1_800_000): Promise<number> {
  const proc = Bun.spawn(command, { cwd, stdout: "inherit", stderr: "inherit", env: { ...process.env, ...env } });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const code = await proc.exited;
  clearTimeout(timer);
  return code;
}

async function build(): Promise<void> {
  if (existsSync(RUNNER)) {
    console.log(`test-runner already built: ${RUNNER}`);
    return;
  }
  mkdirSync(CACHE, { recursive: true });
  if (!existsSync(LIBRDKAFKA)) {
    console.log(`== npm pack ${PACKAGE}`);
    if ((await sh(["npm", "pack", PACKAGE, "--silent"], CACHE)) !== 0) throw new Error(`npm pack ${PACKAGE} failed`);
    const tarball = readdirSync(CACHE).find((f) => f.endsWith(".tgz"));
    if (!tarball) throw new Error("npm pack left no tarball");
    if ((await sh(["tar", "xzf", tarball], CACHE)) !== 0) throw new Error(`cannot unpack ${tarball}`);
  }
  console.log("== building librdkafka and its test-runner (a few minutes on 2 cores)");
  const steps: string[][] = [["./configure", "--disable-curl", "--disable-sasl"], ["make", "-j2", "libs"], ["make", "-C", "tests", "build"]];
  for (const step of steps) if ((await sh(step, LIBRDKAFKA)) !== 0) throw new Error(`${step.join(" ")} failed in ${LIBRDKAFKA}`);
  if (!existsSync(RUNNER)) throw new Error(`the build finished without ${RUNNER}`);
}

interface Cluster {
  /** Every broker's Kafka port, broker 1 first. */
  kafkaPorts: number[];
  /** Where each broker's output goes. */
  logFiles: string[];
  stop(): Promise<void>;
}

/**
 * The suite's brokers auto-create topics with 4 partitions (tests/scenarios/default.json,
 * num_partitions), and its tests produce to partitions 0..3 of topics they never create.
 */
const SUITE_PARTITIONS = 4;

/** Kafka's group.initial.rebalance.delay.ms default (0113 waits "3000 ms (default)" for it). */
const KAFKA_INITIAL_REBALANCE_DELAY_MS = 3000;

/** A free TCP port on 127.0.0.1 (bound and released: brokers of a cluster must know each other's HTTP ports up front). */
async function freePort(): Promise<number> {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

/**
 * A fresh cluster of `count` brokers (each its own data dir), each with a Kafka listener
 * on a free port; with more than one, they are each other's peers and topics get the
 * default replication factor (3, capped at the brokers), as the suite's scenarios ask.
 */
async function startCluster(count: number, extraArgs: string[]): Promise<Cluster> {
  const root = mkdtempSync(join(tmpdir(), "streamnest-conformance-"));
  const httpPorts = count === 1 ? [0] : await Promise.all(Array.from({ length: count }, () => freePort()));
  const secret = `conformance-${crypto.randomUUID()}`;
  const procs = httpPorts.map((port, i) =>
    Bun.spawn(
      [
        "bun",
        join(ROOT, "src/main.ts"),
        "broker",
        `--id=${i + 1}`,
        `--port=${port}`,
        "--host=127.0.0.1",
        `--data-dir=${join(root, `broker-${i + 1}`)}`,
        "--kafka-port=auto",
        `--default-partitions=${SUITE_PARTITIONS}`,
        // Kafka's default group.initial.rebalance.delay.ms, which the suite counts on: 0113's
        // consumers started together must form their first generation together (each gets
        // one assign call); with StreamNest's 300 ms the first forms a generation alone.
        `--group-initial-rebalance-delay-ms=${KAFKA_INITIAL_REBALANCE_DELAY_MS}`,
        ...(count > 1 ? [`--peers=${httpPorts.filter((p) => p !== port).map((p) => `127.0.0.1:${p}`).join(",")}`, `--cluster-secret=${secret}`] : []),
        ...extraArgs,
      ],
      { stdout: "pipe", stderr: "inherit" },
    ),
  );
  const stopAll = async () => {
    for (const proc of procs) proc.kill("SIGTERM");
    await Promise.all(procs.map((p) => p.exited));
    rmSync(root, { recursive: true, force: true });
  };
  const started = await Promise.all(procs.map((proc, i) => kafkaPortOf(proc, i + 1))).catch(async (error: unknown) => {
    await stopAll();
    throw error;
  });
  // A cluster serves once its metadata quorum has a leader and every broker registered:
  // Metadata naming all of them (read over HTTP, as the brokers' own view).
  if (count > 1) await everyBrokerRegistered(httpPorts[0], count);
  return { kafkaPorts: started.map((s) => s.port), logFiles: started.map((s) => s.logFile), stop: stopAll };
}

/**
 * startCluster, tried up to three times: the HTTP ports are found free, released, then
 * bound by the brokers, and on a shared machine another process may take one in between
 * ("port … is already in use"), which says nothing about the test about to run.
 */
async function startClusterRetrying(count: number, extraArgs: string[]): Promise<Cluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startCluster(count, extraArgs);
    } catch (error) {
      if (attempt >= 3) throw error;
      console.log(`== cluster start failed (${(error as Error).message.split("\n")[0]}); trying again`);
    }
  }
}

/** Reads a broker's stdout until it names its Kafka port; then keeps draining it into a log file. */
async function kafkaPortOf(proc: Bun.Subprocess<"ignore", "pipe", "inherit">, id: number): Promise<{ port: number; logFile: string }> {
  let output = "";
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  const deadline = Date.now() + 60_000;
  let port: number | undefined;
  while (port === undefined && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    output += decoder.decode(value, { stream: true });
    const m = /Kafka listener on :(\d+)/.exec(output);
    if (m) port = Number(m[1]);
  }
  if (port === undefined) throw new Error(`broker ${id} did not report its Kafka port:\n${output}`);
  // Keep draining its output so the pipe never fills; it is kept for reading why a test failed.
  const logFile = join(LOGS, `broker-${id}-${Date.now()}.log`);
  writeFileSync(logFile, output);
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      appendFileSync(logFile, decoder.decode(value, { stream: true }));
    }
  })();
  return { port, logFile };
}

/** Until a broker names a metadata quorum leader and every broker registered and unfenced (GET /cluster). */
async function everyBrokerRegistered(httpPort: number, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${httpPort}/cluster`, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { brokers?: { id: number | null; fenced?: boolean | null }[]; quorum?: { leader: number | null } };
      const brokers = body.brokers ?? [];
      if (typeof body.quorum?.leader === "number" && brokers.length === count && brokers.every((b) => b.fenced === false)) return;
    } catch {
      // not serving yet
    }
    if (Date.now() > deadline) throw new Error(`the ${count} brokers did not form a cluster within 60 s`);
    await Bun.sleep(250);
  }
}

type Verdict = "pass" | "FAIL" | "skipped";

/**
 * The runner's verdict for one test number, from its exit code and its summary table
 * ("| 0001_multiobj | PASSED | …"): a pass needs at least one of its tests to have run
 * and passed, so a test the runner skipped (a known issue, a scenario or version it
 * needs) never counts as a pass.
 */
export function verdictOf(exitCode: number, output: string): { verdict: Verdict; ran: string[] } {
  const ran: string[] = [];
  let failed = exitCode !== 0;
  for (const m of output.matchAll(/\|(?:\x1b\[[0-9;]*m)?\s*(\d{4}_\S+)\s*\|\s*(PASSED|FAILED|SKIPPED|RUNNING|NOT STARTED)/g)) {
    if (m[2] === "PASSED") ran.push(m[1]);
    else if (m[2] !== "SKIPPED") failed = true;
  }
  return { verdict: failed ? "FAIL" : ran.length > 0 ? "pass" : "skipped", ran };
}

/** Runs a command, echoing its output and keeping it (stdout and stderr merged). */
async function capture(command: string[], cwd: string, env: Record<string, string>, timeoutMs: number): Promise<{ code: number; output: string }> {
  const proc = Bun.spawn(command, { cwd, stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  let output = "";
  const pump = async (stream: ReadableStream<Uint8Array>, sink: NodeJS.WriteStream) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      output += decoder.decode(chunk, { stream: true });
      sink.write(chunk);
    }
  };
  await Promise.all([pump(proc.stdout, process.stdout), pump(proc.stderr, process.stderr)]);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, output };
}

/** One run of a test number: in which scenario (the suite's tests/scenarios/*.json). */
interface Run {
  test: string;
  scenario: Scenario;
}

type Scenario = "default" | "noautocreate";

/** Broker flags that make a scenario: noautocreate.json is `auto_create_topics: false`. */
const SCENARIO_ARGS: Record<Scenario, string[]> = { default: [], noautocreate: ["--auto-create-topics=off"] };

async function runTests(runs: Run[], brokers: number): Promise<number> {
  const results: { label: string; verdict: Verdict; ran: string[]; ms: number }[] = [];
  // Its own conf file (RDKAFKA_TEST_CONF), so runs of different cluster sizes may overlap.
  const confFile = join(CACHE, `test-${process.pid}.conf`);
  for (const { test, scenario } of runs) {
    const label = `${test}${scenario === "default" ? "" : `/${scenario}`}`;
    const logName = `${test}${scenario === "default" ? "" : `.${scenario}`}${brokers > 1 ? `.${brokers}brokers` : ""}`;
    // A fresh cluster per test: one test's topics and groups never affect another's.
    mkdirSync(LOGS, { recursive: true });
    const cluster = await startClusterRetrying(brokers, SCENARIO_ARGS[scenario]);
    writeFileSync(
      confFile,
      `bootstrap.servers=${cluster.kafkaPorts.map((p) => `127.0.0.1:${p}`).join(",")}\nbroker.address.family=v4\ntest.timeout.multiplier=${TIMEOUT_MULTIPLIER}\n`,
    );
    const started = Date.now();
    // -L: broker tests only. A number's *_mock and *_local tests run against librdkafka's
    // own mock cluster or no broker at all, so they say nothing about StreamNest.
    const { code, output } = await capture(
      ["./test-runner", "-p1", "-L"],
      TESTS_DIR,
      { TESTS: test, TEST_SCENARIO: scenario, RDKAFKA_TEST_CONF: confFile, TEST_KAFKA_VERSION: KAFKA_VERSION, LD_LIBRARY_PATH: LIBRARY_PATH },
      TEST_TIMEOUT_MS,
    );
    const { verdict, ran } = verdictOf(code, output);
    results.push({ label, verdict, ran, ms: Date.now() - started });
    await cluster.stop();
    cluster.logFiles.forEach((file, i) => renameSync(file, join(LOGS, `${logName}.broker${brokers > 1 ? `-${i + 1}` : ""}.log`)));
    writeFileSync(join(LOGS, `${logName}.runner.log`), output);
    console.log(`== ${label}: ${verdict}${verdict === "FAIL" ? ` (exit ${code}); logs: ${join(LOGS, logName)}.{runner,broker*}.log` : ""}`);
  }
  rmSync(confFile, { force: true });
  console.log(`\nlibrdkafka conformance, ${brokers} broker${brokers > 1 ? "s" : ""}:`);
  for (const r of results) console.log(`  ${r.label.padEnd(17)}  ${r.verdict.padEnd(7)}  ${(r.ms / 1000).toFixed(1).padStart(6)} s  ${r.ran.join(" ")}`);
  const count = (v: Verdict) => results.filter((r) => r.verdict === v).length;
  console.log(`${count("pass")} passed, ${count("FAIL")} failed, ${count("skipped")} skipped by the runner (of ${results.length})`);
  return count("FAIL") === 0 ? 0 : 1;
}

/**
 * The runs of the chosen tests (all listed ones when none are chosen): each in the
 * default scenario if listed there, and in noautocreate if it has sub-tests for it (those
 * needing three brokers only when there are).
 */
export function runsOf(chosen: string[], brokers = 1): Run[] {
  const all = chosen.length === 0;
  const fits = (t: string) => brokers >= 3 || !THREE_BROKER_TESTS.includes(t);
  return [
    ...CONFORMANCE_TESTS.filter((t) => all || chosen.includes(t)).map((test) => ({ test, scenario: "default" as const })),
    ...NOAUTOCREATE_TESTS.filter((t) => (all || chosen.includes(t)) && fits(t)).map((test) => ({ test, scenario: "noautocreate" as const })),
    ...chosen.filter((t) => !CONFORMANCE_TESTS.includes(t) && !NOAUTOCREATE_TESTS.includes(t)).map((test) => ({ test, scenario: "default" as const })),
  ];
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  try {
    await build();
    if (args.includes("--build-only")) process.exit(0);
    const brokersArg = args.find((a) => a.startsWith("--brokers="));
    const brokers = brokersArg === undefined ? 1 : Number(brokersArg.slice("--brokers=".length));
    if (!Number.isInteger(brokers) || brokers < 1 || brokers > 5) throw new Error(`--brokers must be 1 to 5, not ${brokersArg}`);
    const chosen = args.filter((a) => /^\d{4}$/.test(a));
    const runs = runsOf(chosen, brokers);
    const left = NOAUTOCREATE_TESTS.filter((t) => (chosen.length === 0 || chosen.includes(t)) && !runs.some((r) => r.test === t));
    if (left.length > 0) console.log(`not run on ${brokers} broker(s): ${left.join(", ")} (they create topics with replication factor 3; run with --brokers=3)`);
    process.exit(await runTests(runs, brokers));
  } catch (error) {
    console.error(`conformance: ${(error as Error).message}`);
    process.exit(1);
  }
}

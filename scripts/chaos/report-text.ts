import type { Availability, QuietWindow } from "./availability.ts";
import type { CheckReport } from "./checker.ts";
import { VIOLATION_KINDS } from "./violations.ts";

/**
 * The checker's report as the chaos harness prints it: the counts, the violations (the
 * first `maxViolations` in full), and the longest window without an acknowledged write
 * per fault kind.
 */
export function reportText(report: CheckReport, availability?: Availability, maxViolations = 20): string {
  const c = report.counts;
  const lines = [
    `attempts ${c.attempts}: ok ${c.ok}, failed ${c.failed}, unknown ${c.unknown} (retries ${c.retries})`,
    `values ${c.values}: acknowledged ${c.acknowledgedValues}, in the final log ${c.presentValues} ` +
      `(unknown outcomes written ${c.unknownPresent}), at more than one offset ${c.duplicatedValues}`,
    `reads during the run ${c.reads}; ${c.partitions} partition(s) on ${c.replicas} replica(s): ` +
      `${c.committedRecords} committed record(s), ${c.uncommittedRecords} above the high watermark`,
  ];
  const byKind = VIOLATION_KINDS.filter((kind) => c.violations[kind] > 0).map((kind) => `${kind} ${c.violations[kind]}`);
  lines.push(`violations: ${report.violations.length === 0 ? "none" : `${report.violations.length} (${byKind.join(", ")})`}`);
  for (const violation of report.violations.slice(0, maxViolations)) lines.push(`  ${violation.kind}: ${violation.message}`);
  if (report.violations.length > maxViolations) lines.push(`  … and ${report.violations.length - maxViolations} more`);
  if (availability !== undefined) {
    lines.push("longest window without an acknowledged write:");
    const kinds = Object.keys(availability.byKind).sort();
    for (const kind of kinds) lines.push(`  ${kind}: ${windowText(availability.byKind[kind])}`);
    lines.push(`  no fault: ${availability.outsideFaults === null ? "none" : windowText(availability.outsideFaults)}`);
  }
  return lines.join("\n");
}

function windowText(window: QuietWindow): string {
  const fault = window.fault === undefined ? "" : `, during ${window.fault.kind}${window.fault.target === undefined ? "" : ` of ${window.fault.target}`} from ${window.fault.start}`;
  return `${window.ms} ms on ${window.topic}/${window.partition} (${window.from} to ${window.to}${fault})`;
}

// Evidence for the report: every assertion attaches what it measured before
// it passes or fails. The recorder is handed an attach function (Cucumber's,
// in a scenario) and knows nothing else of Cucumber.
import { AssertionError } from 'node:assert';
import type { ThresholdVerdict } from '../slo/threshold.ts';
import type { Evidence } from './summary.ts';

export type Attach = (data: string | Buffer, options: { mediaType: string; fileName?: string }) => void | Promise<void>;

export class EvidenceRecorder {
  readonly records: Evidence[] = [];

  constructor(private readonly attachFn: Attach) {}

  async json(name: string, value: unknown): Promise<void> {
    await this.attachFn(JSON.stringify(value, null, 2), { mediaType: 'application/json', fileName: `${name}.json` });
  }

  async text(name: string, text: string): Promise<void> {
    await this.attachFn(text, { mediaType: 'text/plain', fileName: `${name}.txt` });
  }

  async svg(name: string, svg: string): Promise<void> {
    await this.attachFn(Buffer.from(svg), { mediaType: 'image/svg+xml', fileName: `${name}.svg` });
  }

  async png(name: string, png: Buffer): Promise<void> {
    await this.attachFn(png, { mediaType: 'image/png', fileName: `${name}.png` });
  }

  /** Attaches a piece of evidence that also goes into reports/run-summary.json. */
  async evidence(name: string, record: Evidence, details?: unknown): Promise<void> {
    this.records.push(record);
    await this.json(name, details === undefined ? record : { ...record, details });
  }

  /** Attaches an SLO verdict; the caller decides when to fail. */
  async slo(verdict: ThresholdVerdict, traffic: string, engine: 'cutover' | 'k6' = 'cutover'): Promise<void> {
    const { stats, ...rest } = verdict;
    const counted = stats === undefined ? {} : { requests: stats.requests, failed: stats.failed };
    await this.evidence(`SLO ${verdict.threshold} (${verdict.window.name})`, { cutover: 'slo', ...rest, traffic, engine, ...counted }, stats);
  }

  /**
   * Records an assertion with what was expected and measured, then fails with
   * `message` when it did not hold.
   */
  async verify(name: string, passed: boolean, evidence: { expected?: unknown; measured?: unknown; details?: unknown }, message: () => string): Promise<void> {
    await this.evidence(name, { cutover: 'assertion', name, passed, expected: evidence.expected, measured: evidence.measured }, evidence.details);
    if (!passed) throw new AssertionError({ message: message() });
  }
}

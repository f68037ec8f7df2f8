// "Nothing lost" for the Monitoring Web Service (services/metrics): points of
// one metric written steadily through its entry point, the acknowledged ones
// counted, and the metric's stored count read back afterwards.
/**
 * A user's writes for the rest of a scenario: a point of the metric every
 * interval, with the API token; each acknowledged write (201) is counted, to
 * be found again at the end (the metric's count is exactly that, when this is
 * its only writer).
 */
export class MetricPointWriter {
  acknowledged = 0;
  refused = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly url: string,
    readonly metric: string,
    private readonly token: string,
  ) {}

  start(intervalMs: number, maxMs: number): void {
    const until = Date.now() + maxMs;
    this.timer = setInterval(() => {
      if (Date.now() > until) return void this.stop();
      const write = fetch(`${this.url}/api/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        body: JSON.stringify({ metric: this.metric, value: Math.round(Math.random() * 100), timestamp: new Date().toISOString() }),
        signal: AbortSignal.timeout(5000),
      })
        .then(
          (r) => (r.status === 201 ? this.acknowledged++ : this.refused++),
          () => this.refused++,
        )
        .finally(() => this.inFlight.delete(write));
      this.inFlight.add(write);
    }, intervalMs);
  }

  /** Stops writing; resolves once the writes in flight have been answered (each within 5 s). */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight]);
  }

  /** The metric's stored count, read through the entry point (undefined when it cannot be read). */
  async stored(): Promise<{ status: number; count: number | undefined }> {
    const res = await fetch(`${this.url}/api/v1/metrics/${encodeURIComponent(this.metric)}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json().catch(() => ({}))) as { count?: number };
    return { status: res.status, count: body.count };
  }
}

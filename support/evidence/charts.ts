// Charts for the report, rendered to SVG in Node by Vega-Lite (no browser,
// no canvas): latency percentiles over time, requests per version over time
// (the canary steps show as the share moving), and the rollout timeline.
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { SeriesPoint } from '../traffic/recording.ts';

export interface TimelineMark {
  at: number;
  label: string;
  /** "rollout" events, "analysis" results, "chaos"... coloured apart. */
  kind: string;
}

const WIDTH = 720;

async function render(spec: vl.TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const rel = (t: number, origin: number) => Math.round((t - origin) / 100) / 10;

/**
 * Events close in time share one label ("Promoted · SwitchService ·
 * Completed"), so that labels never print over each other.
 */
export function mergeCloseMarks(marks: TimelineMark[], spanMs: number): TimelineMark[] {
  const gap = Math.max(250, spanMs * 0.03);
  const merged: TimelineMark[] = [];
  for (const m of [...marks].sort((a, b) => a.at - b.at)) {
    const last = merged[merged.length - 1];
    if (last && m.at - last.at <= gap) {
      if (!last.label.split(' · ').includes(m.label)) last.label += ` · ${m.label}`;
    } else {
      merged.push({ ...m });
    }
  }
  return merged;
}

/** Rule lines with labels for rollout events, drawn over a time chart. */
function markLayers(marks: TimelineMark[], origin: number, spanMs: number): object[] {
  if (marks.length === 0) return [];
  const values = mergeCloseMarks(marks, spanMs).map((m) => ({ s: rel(m.at, origin), label: m.label, kind: m.kind }));
  return [
    { data: { values }, mark: { type: 'rule', strokeDash: [4, 3], opacity: 0.6, color: '#555' }, encoding: { x: { field: 's', type: 'quantitative' } } },
    {
      data: { values },
      mark: { type: 'text', angle: 270, align: 'left', baseline: 'bottom', dx: 4, dy: -2, fontSize: 9, color: '#333' },
      encoding: { x: { field: 's', type: 'quantitative' }, y: { value: 2 }, text: { field: 'label' } },
    },
  ];
}

/** A per-second series as coloured step lines or stacked areas, with the rollout's events drawn over it. */
async function seriesChart(title: string, mark: 'line' | 'area', yTitle: string, values: { s: number; y: number; colour: string }[], marks: TimelineMark[], origin: number): Promise<string> {
  return render({
    title,
    width: WIDTH,
    height: 240,
    layer: [
      {
        data: { values },
        mark: { type: mark, interpolate: 'step-after' },
        encoding: {
          x: { field: 's', type: 'quantitative', title: 'seconds since traffic started' },
          y: { field: 'y', type: 'quantitative', title: yTitle, ...(mark === 'area' ? { stack: 'zero' } : {}) },
          color: { field: 'colour', type: 'nominal', title: null },
        },
      },
      ...markLayers(marks, origin, (values.at(-1)?.s ?? 0) * 1000),
    ],
  } as vl.TopLevelSpec);
}

export async function latencyChart(title: string, series: SeriesPoint[], marks: TimelineMark[] = []): Promise<string> {
  const origin = series[0]?.t ?? 0;
  const values = series.flatMap((p) =>
    p.requests === 0
      ? []
      : [
          { s: rel(p.t, origin), y: p.p50Ms, colour: 'p50' },
          { s: rel(p.t, origin), y: p.p95Ms, colour: 'p95' },
          { s: rel(p.t, origin), y: p.p99Ms, colour: 'p99' },
        ],
  );
  return seriesChart(title, 'line', 'latency (ms)', values, marks, origin);
}

export async function versionsChart(title: string, series: SeriesPoint[], marks: TimelineMark[] = []): Promise<string> {
  const origin = series[0]?.t ?? 0;
  const values = series.flatMap((p) => [
    ...Object.entries(p.versions).map(([version, n]) => ({ s: rel(p.t, origin), y: n, colour: version })),
    ...(p.failed > 0 ? [{ s: rel(p.t, origin), y: p.failed, colour: 'failed' }] : []),
  ]);
  return seriesChart(title, 'area', 'requests per second', values, marks, origin);
}

/**
 * Rollout events and analysis results on one time axis, one row per event
 * (in time order), so that no label covers another however close they are.
 */
export async function timelineChart(title: string, marks: TimelineMark[], origin: number): Promise<string> {
  const sorted = [...marks].sort((a, b) => a.at - b.at);
  const end = rel(sorted.at(-1)?.at ?? origin, origin);
  // Labels go right of their point, or left of it in the last third (so they stay inside the chart).
  const values = sorted.map((m, i) => ({ s: rel(m.at, origin), row: i, label: m.label, kind: m.kind, side: rel(m.at, origin) > end * 0.66 ? 'left' : 'right' }));
  const x = { field: 's', type: 'quantitative', title: 'seconds since the scenario started' };
  const y = { field: 'row', type: 'ordinal', axis: null };
  const label = (side: 'left' | 'right') => ({
    transform: [{ filter: `datum.side === '${side}'` }],
    mark: { type: 'text', align: side === 'right' ? 'left' : 'right', dx: side === 'right' ? 7 : -7, fontSize: 10 },
    encoding: { x, y, text: { field: 'label' } },
  });
  return render({
    title,
    width: WIDTH,
    height: Math.max(80, 16 * values.length),
    data: { values },
    layer: [
      { mark: { type: 'rule', opacity: 0.15 }, encoding: { y } },
      { mark: { type: 'point', filled: true, size: 60 }, encoding: { x, y, color: { field: 'kind', type: 'nominal', title: null } } },
      label('right'),
      label('left'),
    ],
  } as vl.TopLevelSpec);
}

/** One horizontal stacked bar per section: how many items are automated, manual, not applicable and missing. */
export async function coverageChart(title: string, rows: { section: string; state: string; count: number }[]): Promise<string> {
  const order = ['automated', 'manual', 'not applicable', 'missing'];
  const sections = [...new Set(rows.map((r) => r.section))];
  return render({
    title,
    width: WIDTH - 260,
    height: Math.max(60, 22 * sections.length),
    data: { values: rows.filter((r) => r.count > 0).map((r) => ({ ...r, rank: order.indexOf(r.state) })) },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'section', type: 'nominal', sort: sections, title: null, axis: { labelLimit: 320 } },
      x: { field: 'count', type: 'quantitative', title: 'requirement items', stack: 'zero' },
      color: { field: 'state', type: 'nominal', title: null, scale: { domain: order, range: ['#2e7d32', '#1565c0', '#9e9e9e', '#c62828'] } },
      order: { field: 'rank', type: 'quantitative' },
      tooltip: [{ field: 'section' }, { field: 'state' }, { field: 'count' }],
    },
  } as vl.TopLevelSpec);
}

/** One bar per deployment of a series: how long it took, coloured by how it ended. */
export async function deploymentsChart(title: string, attempts: { n: number; to: string; outcome: string; ms: number }[]): Promise<string> {
  const order = ['Healthy', 'Degraded', 'timed out'];
  return render({
    title,
    width: WIDTH,
    height: 200,
    data: { values: attempts.map((a) => ({ ...a, s: a.ms / 1000 })) },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'n', type: 'ordinal', title: 'deployment', axis: { labelOverlap: true } },
      y: { field: 's', type: 'quantitative', title: 'seconds to Healthy (or abort)' },
      color: { field: 'outcome', type: 'nominal', title: null, scale: { domain: order, range: ['#2e7d32', '#c62828', '#6d4c41'] } },
      tooltip: [{ field: 'n' }, { field: 'to' }, { field: 'outcome' }, { field: 's' }],
    },
  } as vl.TopLevelSpec);
}

/** An autoscaler's syncs: replicas (and ready pods) above, each metric against its target below, on one time axis. */
export async function autoscalerChart(title: string, syncs: { at: string; replicas: number; desired: number; readyPods: number; metrics: Record<string, number> }[], targets: Record<string, number>, marks: TimelineMark[] = []): Promise<string> {
  const origin = syncs.length > 0 ? Date.parse(syncs[0]!.at) : 0;
  const x = { field: 's', type: 'quantitative', title: 'seconds since the autoscaler started' };
  const counts = syncs.flatMap((p) => [
    { s: rel(Date.parse(p.at), origin), y: p.desired, colour: 'desired replicas' },
    { s: rel(Date.parse(p.at), origin), y: p.readyPods, colour: 'ready pods' },
  ]);
  const usage = syncs.flatMap((p) => Object.entries(p.metrics).map(([resource, y]) => ({ s: rel(Date.parse(p.at), origin), y, colour: `${resource} (% of request)` })));
  const lines = Object.entries(targets).map(([resource, y]) => ({ y, colour: `${resource} target` }));
  const spanMs = (counts.at(-1)?.s ?? 0) * 1000;
  return render({
    title,
    vconcat: [
      {
        width: WIDTH,
        height: 160,
        layer: [
          { data: { values: counts }, mark: { type: 'line', interpolate: 'step-after' }, encoding: { x, y: { field: 'y', type: 'quantitative', title: 'pods' }, color: { field: 'colour', type: 'nominal', title: null } } },
          ...markLayers(marks, origin, spanMs),
        ],
      },
      {
        width: WIDTH,
        height: 160,
        layer: [
          { data: { values: usage }, mark: { type: 'line', point: true }, encoding: { x, y: { field: 'y', type: 'quantitative', title: 'utilization (%)' }, color: { field: 'colour', type: 'nominal', title: null } } },
          { data: { values: lines }, mark: { type: 'rule', strokeDash: [6, 4], color: '#c62828' }, encoding: { y: { field: 'y', type: 'quantitative' } } },
        ],
      },
    ],
  } as vl.TopLevelSpec);
}

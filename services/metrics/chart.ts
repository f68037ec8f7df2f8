// A metric's points as an SVG line chart. Many points are averaged into at
// most MAX_BUCKETS buckets along the time axis, so a chart of a week stays a
// few kilobytes.
import { escapeHtml } from '../common/html.ts';

const WIDTH = 640;
const HEIGHT = 240;
const PAD = 32;
export const MAX_BUCKETS = 320;

const least = (ps: { value: number }[]) => ps.reduce((m, p) => Math.min(m, p.value), Infinity);
const most = (ps: { value: number }[]) => ps.reduce((m, p) => Math.max(m, p.value), -Infinity);

export function lineChartSvg(title: string, points: { at: number; value: number }[]): string {
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}"><title>${escapeHtml(title)}</title>`;
  if (points.length === 0) return `${head}<text x="${PAD}" y="${HEIGHT / 2}">no points</text></svg>`;
  const t0 = points[0]!.at;
  const span = Math.max(1, points[points.length - 1]!.at - t0);
  const sums = new Map<number, { sum: number; n: number }>();
  for (const p of points) {
    const bucket = Math.min(MAX_BUCKETS - 1, Math.floor(((p.at - t0) / span) * MAX_BUCKETS));
    const b = sums.get(bucket) ?? { sum: 0, n: 0 };
    b.sum += p.value;
    b.n++;
    sums.set(bucket, b);
  }
  const series = [...sums].sort(([a], [b]) => a - b).map(([bucket, { sum, n }]) => ({ x: bucket, y: sum / n }));
  const lo = least(series.map((s) => ({ value: s.y })));
  const hi = most(series.map((s) => ({ value: s.y })));
  const x = (bucket: number) => PAD + (bucket / (MAX_BUCKETS - 1)) * (WIDTH - 2 * PAD);
  const y = (v: number) => HEIGHT - PAD - (hi === lo ? 0.5 : (v - lo) / (hi - lo)) * (HEIGHT - 2 * PAD);
  const path = series.map((s, i) => `${i === 0 ? 'M' : 'L'}${x(s.x).toFixed(1)},${y(s.y).toFixed(1)}`).join(' ');
  return (
    `${head}<path d="${path}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>` +
    `<text x="${PAD}" y="${PAD - 8}" font-size="12">${escapeHtml(title)}: ${points.length} points, ${least(points)} to ${most(points)}</text></svg>`
  );
}

/**
 * A hand-written SVG line chart of memory over time (pure): one line per process for rss
 * (solid) and one for the post-GC heap (dashed), axes labelled in MB and clock time, and a
 * legend. No dependency; the output opens in any browser.
 */
import type { MemSample } from '../../shared/mem-sample.js';

export interface ChartProcess {
  /** e.g. "host1 w1 pid 4242" */
  label: string;
  samples: readonly MemSample[];
}

export interface ChartOptions {
  title?: string;
  width?: number;
  height?: number;
}

const MB = 1024 * 1024;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];
const M = { left: 70, right: 20, top: 40, bottom: 50 };
const LEGEND_ROW = 18;

interface Series {
  label: string;
  color: string;
  dashed: boolean;
  points: Array<[number, number]>;
}

export function renderMemChart(processes: readonly ChartProcess[], options: ChartOptions = {}): string {
  const series = toSeries(processes);
  const width = options.width ?? 960;
  const plotHeight = (options.height ?? 480) - M.top - M.bottom;
  const height = M.top + plotHeight + M.bottom + series.length * LEGEND_ROW + 10;
  const plotWidth = width - M.left - M.right;
  const all = series.flatMap((s) => s.points);
  const t0 = all.length > 0 ? Math.min(...all.map((p) => p[0])) : 0;
  const t1 = all.length > 0 ? Math.max(...all.map((p) => p[0])) : 1;
  const yMax = niceMax(all.length > 0 ? Math.max(...all.map((p) => p[1])) : 1);
  const tSpan = t1 > t0 ? t1 - t0 : 1;
  const x = (t: number) => M.left + ((t - t0) / tSpan) * plotWidth;
  const y = (mb: number) => M.top + plotHeight - (mb / yMax) * plotHeight;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${M.left}" y="${M.top - 15}" font-size="15" font-weight="bold">${esc(options.title ?? 'spiderd memory')}</text>`);
  for (let i = 0; i <= 5; i++) {
    const mb = (yMax / 5) * i;
    const py = num(y(mb));
    out.push(`<line x1="${M.left}" y1="${py}" x2="${M.left + plotWidth}" y2="${py}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${M.left - 8}" y="${py + 4}" text-anchor="end">${esc(formatMb(mb))}</text>`);
  }
  for (let i = 0; i <= 5; i++) {
    const t = t0 + (tSpan / 5) * i;
    const px = num(x(t));
    out.push(`<line x1="${px}" y1="${M.top + plotHeight}" x2="${px}" y2="${M.top + plotHeight + 5}" stroke="#333"/>`);
    out.push(`<text x="${px}" y="${M.top + plotHeight + 20}" text-anchor="middle">${esc(clock(t, tSpan))}</text>`);
  }
  out.push(`<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + plotHeight}" stroke="#333"/>`);
  out.push(`<line x1="${M.left}" y1="${M.top + plotHeight}" x2="${M.left + plotWidth}" y2="${M.top + plotHeight}" stroke="#333"/>`);
  out.push(`<text x="15" y="${M.top + plotHeight / 2}" transform="rotate(-90 15 ${M.top + plotHeight / 2})" text-anchor="middle">MB</text>`);
  out.push(`<text x="${M.left + plotWidth / 2}" y="${M.top + plotHeight + 40}" text-anchor="middle">time</text>`);
  for (const s of series) {
    const pts = s.points.length === 1 ? [s.points[0]!, s.points[0]!] : s.points;
    const attr = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.5"${attr} points="${pts.map(([t, mb]) => `${num(x(t))},${num(y(mb))}`).join(' ')}"><title>${esc(s.label)}</title></polyline>`);
  }
  series.forEach((s, i) => {
    const ly = M.top + plotHeight + M.bottom + i * LEGEND_ROW + 5;
    const attr = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<line x1="${M.left}" y1="${ly}" x2="${M.left + 30}" y2="${ly}" stroke="${s.color}" stroke-width="2"${attr}/>`);
    out.push(`<text x="${M.left + 38}" y="${ly + 4}">${esc(s.label)}</text>`);
  });
  if (series.length === 0) out.push(`<text x="${M.left + plotWidth / 2}" y="${M.top + plotHeight / 2}" text-anchor="middle">no samples</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function toSeries(processes: readonly ChartProcess[]): Series[] {
  const series: Series[] = [];
  processes.forEach((p, i) => {
    const color = COLORS[i % COLORS.length]!;
    const rss = p.samples.map((s): [number, number] => [s.at, s.rss / MB]);
    const heap = p.samples.filter((s) => s.postGcHeap !== null).map((s): [number, number] => [s.at, s.postGcHeap! / MB]);
    if (rss.length > 0) series.push({ label: `${p.label} rss`, color, dashed: false, points: rss });
    if (heap.length > 0) series.push({ label: `${p.label} post-GC heap`, color, dashed: true, points: heap });
  });
  return series;
}

/** A round axis maximum: 1, 2, 2.5 or 5 times a power of ten, above the data. */
function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value * 1.05) return step * power;
  return 10 * power;
}

function formatMb(mb: number): string {
  return `${mb >= 100 || Number.isInteger(mb) ? mb.toFixed(0) : mb.toFixed(1)} MB`;
}

/** Local clock time; seconds when the chart spans less than an hour. */
function clock(t: number, span: number): string {
  const d = new Date(t);
  const two = (n: number) => String(n).padStart(2, '0');
  const hm = `${two(d.getHours())}:${two(d.getMinutes())}`;
  return span < 3_600_000 ? `${hm}:${two(d.getSeconds())}` : hm;
}

function num(n: number): string {
  return Number.isFinite(n) ? n.toFixed(1) : '0';
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

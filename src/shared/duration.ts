/**
 * Durations as people write them: `500ms`, `30s`, `5m`, `6h`, `7d` (or a sum such as `1h30m`).
 * A bare number keeps the unit its flag or variable documents (`defaultUnit`), so existing
 * settings keep their meaning. Returns milliseconds, or undefined when the text is not a duration.
 */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

export type DurationUnit = keyof typeof UNIT_MS;

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;

export function parseDuration(text: string, defaultUnit: DurationUnit): number | undefined {
  const t = text.trim().toLowerCase();
  if (t === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * UNIT_MS[defaultUnit]);
  let total = 0;
  PART.lastIndex = 0;
  let end = 0;
  for (let m = PART.exec(t); m !== null; m = PART.exec(t)) {
    total += Number(m[1]) * UNIT_MS[m[2] as DurationUnit];
    end = PART.lastIndex;
  }
  return end === t.length && end > 0 ? Math.round(total) : undefined;
}

/** `90000` -> `1m30s`: the shortest exact form, for --help defaults and messages. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const n = Math.floor(rest / UNIT_MS[unit]);
    if (n > 0) {
      parts.push(`${n}${unit}`);
      rest -= n * UNIT_MS[unit];
    }
  }
  if (rest > 0) parts.push(`${rest}ms`);
  return parts.join('');
}

/** What a duration may look like, for error messages. */
export function durationHint(defaultUnit: DurationUnit): string {
  return `a duration such as 500ms, 30s, 5m, 6h or 7d (a bare number is in ${defaultUnit === 'ms' ? 'milliseconds' : defaultUnit === 's' ? 'seconds' : defaultUnit})`;
}

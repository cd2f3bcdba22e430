/** Least-squares line fit with its coefficient of determination (pure). */

export interface LineFit {
  /** y units per x unit. */
  slope: number;
  intercept: number;
  /** 0..1; 0 when y does not vary (a flat line explains nothing, and needs no explaining). */
  r2: number;
  n: number;
}

export function fitLine(xs: readonly number[], ys: readonly number[]): LineFit | null {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return null;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i]!;
    sy += ys[i]!;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  const r2 = syy === 0 ? 0 : (sxy * sxy) / (sxx * syy);
  return { slope, intercept: my - slope * mx, r2, n };
}

/**
 * True when the floor of the series rises through the window: the minimum of each of
 * `segments` consecutive chunks is above the previous chunk's minimum. A sawtooth whose
 * minima stay flat (a cache that fills and is cleared) is not sustained growth.
 */
export function floorRises(ys: readonly number[], segments = 4): boolean {
  if (segments < 2 || ys.length < segments * 2) return false;
  const size = ys.length / segments;
  let previous = -Infinity;
  for (let s = 0; s < segments; s++) {
    const chunk = ys.slice(Math.floor(s * size), Math.floor((s + 1) * size));
    const min = Math.min(...chunk);
    if (!(min > previous)) return false;
    previous = min;
  }
  return true;
}

/** The median of a non-empty list (NaN for an empty one). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface RobustFit {
  /** y units per x unit: the median of the slopes between every pair of points (Theil-Sen). */
  slope: number;
  intercept: number;
  /** Spread of the points around the line: 1.4826 x the median absolute residual (a standard deviation for normal noise). */
  noise: number;
  /** Standard error of the slope for that noise and these x positions. */
  slopeError: number;
  n: number;
}

/**
 * Theil-Sen line: robust to a few wild points (up to about 29% of them), which a least-squares
 * fit follows. Null with fewer than two distinct x values.
 */
export function theilSen(xs: readonly number[], ys: readonly number[]): RobustFit | null {
  const n = Math.min(xs.length, ys.length);
  const slopes: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = xs[j]! - xs[i]!;
      if (dx !== 0) slopes.push((ys[j]! - ys[i]!) / dx);
    }
  }
  if (slopes.length === 0) return null;
  const slope = median(slopes);
  const intercept = median(Array.from({ length: n }, (_, i) => ys[i]! - slope * xs[i]!));
  const noise = 1.4826 * median(Array.from({ length: n }, (_, i) => Math.abs(ys[i]! - intercept - slope * xs[i]!)));
  const mx = xs.slice(0, n).reduce((s, x) => s + x, 0) / n;
  const sxx = xs.slice(0, n).reduce((s, x) => s + (x - mx) ** 2, 0);
  return { slope, intercept, noise, slopeError: sxx > 0 ? noise / Math.sqrt(sxx) : Number.POSITIVE_INFINITY, n };
}

/** Two-sided 95% Student t quantile for `dof` degrees of freedom (1.96 for many). */
export function tQuantile95(dof: number): number {
  const table = [12.71, 4.3, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23, 2.2, 2.18, 2.16, 2.14, 2.13, 2.12, 2.11, 2.1, 2.09, 2.09];
  if (dof < 1) return Number.POSITIVE_INFINITY;
  return dof <= table.length ? table[dof - 1]! : 1.96 + 2.4 / dof;
}

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

/**
 * Additive Holt-Winters (Holt 1957; Winters, "Forecasting sales by exponentially weighted moving
 * averages", 1960) with an optional damped trend (Gardner & McKenzie 1985): a level ℓ, a trend b and
 * `season` seasonal terms s, one step per update of the value y:
 *
 *   ℓ' = α(y − sᵢ) + (1 − α)(ℓ + φb)
 *   b' = β(ℓ' − ℓ) + (1 − β)φb
 *   sᵢ' = γ(y − ℓ') + (1 − γ)sᵢ           i = step mod season
 *   forecast h steps ahead = ℓ + (φ + φ² + … + φʰ)b + s₍step+h−1₎ mod season
 *
 * Every term starts at zero and the parameters are fixed, so the model is a linear filter of its
 * input: the forecast of a sum of series (fed in step) is the sum of their forecasts. That is what
 * lets partitions each run their own model and the reader add the forecasts up. The price of the
 * zero start is a slow first season: the seasonal terms learn at γ per visit, once a season.
 */

export interface HoltWintersOptions {
  /** Level smoothing, 0..1. Higher: follows a shift in level faster, and the noise with it. */
  alpha: number;
  /** Trend smoothing, 0..1. Keep it small for long horizons: the trend is extrapolated h steps. */
  beta: number;
  /** Seasonal smoothing, 0..1: each seasonal term learns at this rate, once a season. */
  gamma: number;
  /** Steps in a season (168 for hours of a week). */
  season: number;
  /** Trend damping, (0, 1]: 1 is the classic linear trend; below 1 the trend fades over the horizon. */
  phi: number;
}

/**
 * Defaults for hourly series with a weekly season. A small alpha, because a faster level chases the
 * daily cycle and extrapolates it; a tiny beta damped by phi, because a trend is carried a week
 * ahead; a brisk gamma, because each seasonal term learns only once a week from its zero start.
 */
export const DEFAULT_HOLT_WINTERS_OPTIONS: HoltWintersOptions = Object.freeze({
  alpha: 0.02,
  beta: 0.001,
  gamma: 0.4,
  season: 168,
  phi: 0.98,
});

/** Longest season accepted: bounds the memory of one model. */
export const MAX_SEASON = 10_000;

/** Fills in the defaults and checks every option; a bad one throws a RangeError naming it. */
export function holtWintersOptions(partial: Partial<HoltWintersOptions> = {}): HoltWintersOptions {
  const o: HoltWintersOptions = {
    ...DEFAULT_HOLT_WINTERS_OPTIONS,
    ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)),
  };
  for (const name of ['alpha', 'beta', 'gamma'] as const) {
    const v = o[name];
    if (!(Number.isFinite(v) && v >= 0 && v <= 1))
      throw new RangeError(`Holt-Winters option ${name} must be in [0, 1], got ${v}`);
  }
  if (!(Number.isFinite(o.phi) && o.phi > 0 && o.phi <= 1))
    throw new RangeError(`Holt-Winters option phi must be in (0, 1], got ${o.phi}`);
  if (!(Number.isInteger(o.season) && o.season >= 1 && o.season <= MAX_SEASON))
    throw new RangeError(
      `Holt-Winters option season must be a whole number from 1 to ${MAX_SEASON}, got ${o.season}`,
    );
  return o;
}

/** JSON-safe state of a model. */
export interface HoltWintersSnapshot {
  level: number;
  trend: number;
  seasonal: number[];
  steps: number;
}

export class HoltWinters {
  readonly options: HoltWintersOptions;
  private level = 0;
  private trend = 0;
  private readonly seasonal: Float64Array;
  private stepCount = 0;

  constructor(options: Partial<HoltWintersOptions> = {}) {
    this.options = holtWintersOptions(options);
    this.seasonal = new Float64Array(this.options.season);
  }

  /** Steps taken so far: updates, plus the steps passed over by `skip`. */
  get steps(): number {
    return this.stepCount;
  }

  /** One step with its value. A non-finite value counts as 0, which keeps the filter linear. */
  update(value: number): void {
    const y = Number.isFinite(value) ? value : 0;
    const { alpha, beta, gamma, phi, season } = this.options;
    const i = this.stepCount % season;
    const s = this.seasonal[i]!;
    const level = alpha * (y - s) + (1 - alpha) * (this.level + phi * this.trend);
    this.trend = beta * (level - this.level) + (1 - beta) * phi * this.trend;
    this.level = level;
    this.seasonal[i] = gamma * (y - level) + (1 - gamma) * s;
    this.stepCount++;
  }

  /**
   * Passes over `n` steps without data: the clock (and so the seasonal position) moves on, the
   * state is held. From the all-zero start this is the same as feeding zeros; later it is how a
   * caller stops a long gap from decaying everything it learned.
   */
  skip(n: number): void {
    if (Number.isInteger(n) && n > 0) this.stepCount += n;
  }

  /** The next `steps` values (an empty list for 0 or a bad count). */
  forecast(steps: number): number[] {
    const n = Number.isInteger(steps) && steps > 0 ? steps : 0;
    const { phi, season } = this.options;
    const out = new Array<number>(n);
    let damp = 0;
    let power = 1;
    for (let h = 1; h <= n; h++) {
      power *= phi;
      damp += power;
      out[h - 1] = this.level + damp * this.trend + this.seasonal[(this.stepCount + h - 1) % season]!;
    }
    return out;
  }

  snapshot(): HoltWintersSnapshot {
    return {
      level: this.level,
      trend: this.trend,
      seasonal: Array.from(this.seasonal),
      steps: this.stepCount,
    };
  }

  /** Takes a snapshot of a model with the same season; anything else throws a RangeError. */
  restore(state: unknown): void {
    const s = state as Partial<HoltWintersSnapshot> | null;
    const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
    if (
      !s ||
      typeof s !== 'object' ||
      !finite(s.level) ||
      !finite(s.trend) ||
      !(Number.isInteger(s.steps) && (s.steps as number) >= 0) ||
      !Array.isArray(s.seasonal) ||
      s.seasonal.length !== this.options.season ||
      !s.seasonal.every(finite)
    )
      throw new RangeError(
        `Holt-Winters state must hold a level, a trend, steps and ${this.options.season} seasonals`,
      );
    this.level = s.level;
    this.trend = s.trend;
    this.stepCount = s.steps as number;
    this.seasonal.set(s.seasonal);
  }
}

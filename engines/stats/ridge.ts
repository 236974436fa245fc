/**
 * Online ridge regression by recursive least squares (Plackett 1950; Haykin, "Adaptive Filter
 * Theory", ch. 10): after n updates the weights minimise Σ fᵏ (y − w·x)² + λ fⁿ‖w‖², f the
 * forgetting factor (1: ordinary ridge, every row counts forever; < 1: older rows, and the L2
 * prior with them, fade by f per update, so the fit follows drift). Each update costs O(d²).
 *
 * `update` predicts before it learns and keeps the error (prequential, or "test-then-train",
 * evaluation: Dawid 1984), so `rmse` and `mae` measure predictions on rows the model had not seen.
 * Rows with a NaN or infinite feature or target are skipped and counted, never learned.
 */

export interface RidgeOptions {
  /** L2 penalty λ > 0 (default 1): the prior precision of every weight. */
  lambda?: number;
  /** Forgetting factor in (0, 1] (default 1: no forgetting). */
  forgetting?: number;
  /** Learns an intercept (`bias`) as the weight of a constant feature 1, penalised like the others. Default true. */
  intercept?: boolean;
}

export interface RidgeSnapshot {
  dim: number;
  lambda: number;
  forgetting: number;
  intercept: boolean;
  /** Every weight, the intercept's last. */
  weights: number[];
  /** The inverse of the regularised Gram matrix, row-major. */
  p: number[];
  n: number;
  sse: number;
  sae: number;
  skipped: number;
}

export class OnlineRidge {
  readonly dim: number;
  readonly lambda: number;
  readonly forgetting: number;
  readonly intercept: boolean;
  private w: Float64Array;
  private p: Float64Array;
  private readonly x: Float64Array;
  private readonly px: Float64Array;
  private count = 0;
  private sse = 0;
  private sae = 0;
  private skippedRows = 0;

  /** A model of `dim` features (besides the intercept), all weights 0. */
  constructor(dim: number, o: RidgeOptions = {}) {
    const { lambda = 1, forgetting = 1, intercept = true } = o;
    if (!Number.isInteger(dim) || dim < 0) throw new RangeError(`dim must be an integer ≥ 0, got ${dim}`);
    if (!(lambda > 0) || !Number.isFinite(lambda)) throw new RangeError(`lambda must be > 0, got ${lambda}`);
    if (!(forgetting > 0 && forgetting <= 1))
      throw new RangeError(`forgetting must be in (0, 1], got ${forgetting}`);
    this.dim = dim;
    this.lambda = lambda;
    this.forgetting = forgetting;
    this.intercept = intercept;
    const d = dim + (intercept ? 1 : 0);
    if (d === 0) throw new RangeError('a model needs at least one feature or the intercept');
    this.w = new Float64Array(d);
    this.p = new Float64Array(d * d);
    for (let i = 0; i < d; i++) this.p[i * d + i] = 1 / lambda;
    this.x = new Float64Array(d);
    this.px = new Float64Array(d);
  }

  /** Rows learned. */
  get n(): number {
    return this.count;
  }
  /** Rows skipped for a NaN or infinite value. */
  get skipped(): number {
    return this.skippedRows;
  }
  /** Root mean squared prequential error (NaN before any row). */
  get rmse(): number {
    return this.count > 0 ? Math.sqrt(this.sse / this.count) : NaN;
  }
  /** Mean absolute prequential error (NaN before any row). */
  get mae(): number {
    return this.count > 0 ? this.sae / this.count : NaN;
  }
  /** The features' weights, in their order. */
  get weights(): number[] {
    return [...this.w.subarray(0, this.dim)];
  }
  /** The intercept (0 without one). */
  get bias(): number {
    return this.intercept ? this.w[this.dim]! : 0;
  }

  /** w·x; NaN for a row with a NaN or infinite feature. RangeError for a row of the wrong length. */
  predict(x: readonly number[]): number {
    if (!this.load(x)) return NaN;
    let s = 0;
    for (let i = 0; i < this.w.length; i++) s += this.w[i]! * this.x[i]!;
    return s;
  }

  /** Learns one row after predicting it (the prequential error); false if it was skipped. */
  update(x: readonly number[], y: number): boolean {
    const predicted = this.predict(x);
    if (!Number.isFinite(predicted) || !Number.isFinite(y)) {
      this.skippedRows += 1;
      return false;
    }
    const err = y - predicted;
    const d = this.w.length;
    const { p, px, w } = this;
    const xv = this.x;
    let denom = this.forgetting;
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += p[i * d + j]! * xv[j]!;
      px[i] = s;
      denom += xv[i]! * s;
    }
    // P is symmetric, so xᵀP = (Px)ᵀ: the gain is Px / (f + xᵀPx).
    for (let i = 0; i < d; i++) w[i] = w[i]! + (px[i]! / denom) * err;
    const f = this.forgetting;
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) p[i * d + j] = (p[i * d + j]! - (px[i]! * px[j]!) / denom) / f;
    this.count += 1;
    this.sse += err * err;
    this.sae += Math.abs(err);
    return true;
  }

  snapshot(): RidgeSnapshot {
    return {
      dim: this.dim,
      lambda: this.lambda,
      forgetting: this.forgetting,
      intercept: this.intercept,
      weights: [...this.w],
      p: [...this.p],
      n: this.count,
      sse: this.sse,
      sae: this.sae,
      skipped: this.skippedRows,
    };
  }

  /** Replaces this model's state with `s` (which must have this model's shape). */
  restore(s: RidgeSnapshot): void {
    const d = this.w.length;
    if (
      s.dim !== this.dim ||
      s.intercept !== this.intercept ||
      s.weights.length !== d ||
      s.p.length !== d * d
    )
      throw new RangeError(
        `ridge snapshot of dimension ${s.dim} does not fit a model of dimension ${this.dim}`,
      );
    this.w = Float64Array.from(s.weights);
    this.p = Float64Array.from(s.p);
    this.count = s.n;
    this.sse = s.sse;
    this.sae = s.sae;
    this.skippedRows = s.skipped;
  }

  /** A model restored from `s`, with its settings. */
  static fromSnapshot(s: RidgeSnapshot): OnlineRidge {
    const m = new OnlineRidge(s.dim, { lambda: s.lambda, forgetting: s.forgetting, intercept: s.intercept });
    m.restore(s);
    return m;
  }

  /** Copies x (and the intercept's 1) into the work vector; false when a value is not finite. */
  private load(x: readonly number[]): boolean {
    if (x.length !== this.dim) throw new RangeError(`expected ${this.dim} features, got ${x.length}`);
    for (let i = 0; i < this.dim; i++) {
      const v = x[i]!;
      if (!Number.isFinite(v)) return false;
      this.x[i] = v;
    }
    if (this.intercept) this.x[this.dim] = 1;
    return true;
  }
}

/**
 * Limited-memory BFGS (Nocedal & Wright, "Numerical Optimization", algorithm 7.5) with a
 * backtracking Armijo line search, for smooth convex objectives such as L2-regularised logistic
 * regression. It takes no random steps: the same objective and start give the same result.
 */

export interface LbfgsOptions {
  /** Pairs of past steps kept to approximate the Hessian. */
  memory: number;
  maxIterations: number;
  /** Stop when the objective improves by less than this fraction over 5 iterations. */
  tolerance: number;
}

export interface LbfgsProgress {
  iteration: number;
  value: number;
  gradientNorm: number;
}

/** f(x) and its gradient: writes the gradient into `grad` and returns the value. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export function minimizeLbfgs(
  f: Objective,
  x0: Float64Array,
  options: LbfgsOptions,
  onIteration?: (p: LbfgsProgress) => void,
): { x: Float64Array; value: number; iterations: number } {
  const n = x0.length;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  let fx = f(x, g);
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(options.memory);
  const d = new Float64Array(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  const history: number[] = [fx];
  let iteration = 0;

  while (iteration < options.maxIterations) {
    iteration++;
    // Two-loop recursion: d = -H g.
    d.set(g);
    for (let k = s.length - 1; k >= 0; k--) {
      alpha[k] = rho[k]! * dot(s[k]!, d);
      axpy(-alpha[k]!, y[k]!, d);
    }
    if (s.length > 0) {
      const last = s.length - 1;
      scale(d, dot(s[last]!, y[last]!) / dot(y[last]!, y[last]!));
    } else {
      scale(d, 1 / Math.max(1, norm(g)));
    }
    for (let k = 0; k < s.length; k++) {
      const beta = rho[k]! * dot(y[k]!, d);
      axpy(alpha[k]! - beta, s[k]!, d);
    }
    scale(d, -1);
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      s.length = y.length = rho.length = 0;
      d.set(g);
      scale(d, -1 / Math.max(1, norm(g)));
      slope = dot(g, d);
    }

    // Backtracking line search with the Armijo condition.
    let step = 1;
    let fNew = Infinity;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * d[i]!;
      fNew = f(xNew, gNew);
      if (fNew <= fx + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNew < fx)) break;

    const sk = new Float64Array(n);
    const yk = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      sk[i] = xNew[i]! - x[i]!;
      yk[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(sk, yk);
    if (sy > 1e-12) {
      if (s.length === options.memory) {
        s.shift();
        y.shift();
        rho.shift();
      }
      s.push(sk);
      y.push(yk);
      rho.push(1 / sy);
    }
    x.set(xNew);
    g.set(gNew);
    fx = fNew;
    history.push(fx);
    onIteration?.({ iteration, value: fx, gradientNorm: norm(g) });
    const back = history[Math.max(0, history.length - 6)]!;
    if (history.length > 5 && (back - fx) / Math.max(Math.abs(fx), 1e-12) < options.tolerance) break;
  }
  return { x, value: fx, iterations: iteration };
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i]! += a * x[i]!;
}

function scale(x: Float64Array, a: number): void {
  for (let i = 0; i < x.length; i++) x[i]! *= a;
}

function norm(x: Float64Array): number {
  return Math.sqrt(dot(x, x));
}

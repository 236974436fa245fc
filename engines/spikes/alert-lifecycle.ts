import type { SpikeOptions } from './options.js';
import { SEVERITIES, type AlertUpdate, type Severity, type SpikeKind } from './types.js';

/** A kind's figures over one span ending at the current window. */
export interface Reading {
  score: number;
  /** The span, in windows. */
  span: number;
  observed: number;
  baseline: number;
  posts: number;
  negative: number;
}

/** An observed value this much above the peak so far is a new peak (an update). */
const NEW_PEAK_STEP = 0.1;

interface OpenAlert {
  id: string;
  openedAt: number;
  update: number;
  severity: Severity;
  peak: number;
  span: number;
  /** Consecutive windows near the baseline so far. */
  near: number;
}

export interface LifecycleState {
  open: OpenAlert | null;
  streak: number;
  streakStart: number | null;
  cooldownUntil: number | null;
  last: AlertUpdate | null;
}

/**
 * The life of one brand's alerts of one kind: confirmation (a streak of windows over the
 * threshold, or one window over the high threshold), open (update 0), update (+1 when the severity
 * rises or a new peak comes), resolve (after `resolveWindows` windows near the baseline), then a
 * cooldown in which the kind does not open again. One alert of a kind is open at a time, so one
 * spike gives one alert of each kind it shows in, however long it lasts.
 */
export class AlertLifecycle {
  private open: OpenAlert | null = null;
  private streak = 0;
  private streakStart: number | null = null;
  private cooldownUntil: number | null = null;
  private last: AlertUpdate | null = null;

  constructor(
    private readonly brand: string,
    readonly kind: SpikeKind,
    private readonly o: SpikeOptions,
  ) {}

  /** The span of the open alert, in windows; undefined when none is open. */
  get openSpan(): number | undefined {
    return this.open?.span;
  }

  get isOpen(): boolean {
    return this.open !== null;
  }

  /** The start of the first window of the streak that opened the open alert. */
  get openedAt(): number | undefined {
    return this.open?.openedAt;
  }

  /**
   * A window while no alert is open: `candidate` is the best reading that passes the volume rules
   * (none: no span does). Returns the alert it opens, if any.
   */
  consider(start: number, candidate: Reading | undefined, canOpen: boolean): AlertUpdate | undefined {
    if (candidate && candidate.score >= this.o.threshold) {
      if (this.streak === 0) this.streakStart = start;
      this.streak++;
    } else {
      this.streak = 0;
      this.streakStart = null;
    }
    if (!candidate || this.streak === 0 || !canOpen) return undefined;
    if (this.cooldownUntil !== null && start < this.cooldownUntil) return undefined;
    if (this.streak < this.o.confirmWindows && candidate.score < this.o.highThreshold) return undefined;
    const openedAt = this.streakStart ?? start;
    this.open = {
      id: `${this.brand}:${this.kind}:${openedAt}`,
      openedAt,
      update: 0,
      severity: this.severity(candidate.score),
      peak: candidate.observed,
      span: candidate.span,
      near: 0,
    };
    this.streak = 0;
    this.streakStart = null;
    return this.emit(start, candidate, 'open');
  }

  /** A window while an alert is open: its reading at the alert's span, and whether that is near the baseline. */
  follow(start: number, reading: Reading, near: boolean): AlertUpdate | undefined {
    const a = this.open;
    if (!a) return undefined;
    if (near) {
      a.near++;
      if (a.near < this.o.resolveWindows) return undefined;
      a.update++;
      const out = this.emit(start, reading, 'resolved');
      this.open = null;
      this.cooldownUntil = start + this.o.windowMs + this.o.cooldownMs;
      return out;
    }
    a.near = 0;
    const severity = this.severity(reading.score);
    const rises = SEVERITIES.indexOf(severity) > SEVERITIES.indexOf(a.severity);
    const peaks = reading.observed > a.peak * (1 + NEW_PEAK_STEP) && reading.observed > a.peak;
    if (reading.observed > a.peak) a.peak = reading.observed;
    if (!rises && !peaks) return undefined;
    if (rises) a.severity = severity;
    a.update++;
    return this.emit(start, reading, 'open');
  }

  /** The open alert's latest update; undefined when none is open. */
  get latest(): AlertUpdate | undefined {
    return this.open ? (this.last ?? undefined) : undefined;
  }

  private severity(score: number): Severity {
    const [medium, high, critical] = this.o.severityScores;
    if (score >= critical) return 'critical';
    if (score >= high) return 'high';
    if (score >= medium) return 'medium';
    return 'low';
  }

  private emit(start: number, r: Reading, state: 'open' | 'resolved'): AlertUpdate {
    const a = this.open!;
    const end = start + this.o.windowMs;
    this.last = {
      id: a.id,
      brand: this.brand,
      kind: this.kind,
      state,
      update: a.update,
      severity: a.severity,
      opened_at: a.openedAt,
      updated_at: end,
      resolved_at: state === 'resolved' ? end : null,
      window_ms: a.span * this.o.windowMs,
      observed: round(r.observed),
      baseline: round(r.baseline),
      peak: round(a.peak),
      score: round(r.score),
      posts: round(r.posts),
      negative: round(r.negative),
    };
    return { ...this.last };
  }

  snapshot(): LifecycleState {
    return {
      open: this.open && { ...this.open },
      streak: this.streak,
      streakStart: this.streakStart,
      cooldownUntil: this.cooldownUntil,
      last: this.open && this.last && { ...this.last },
    };
  }

  restore(s: LifecycleState | undefined): void {
    this.open = s?.open ? { ...s.open } : null;
    this.streak = s?.streak ?? 0;
    this.streakStart = s?.streakStart ?? null;
    this.cooldownUntil = s?.cooldownUntil ?? null;
    this.last = this.open && s?.last ? { ...s.last } : null;
  }
}

/** Four decimals: enough for shares and scores, and stable across platforms. */
function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : 0;
}

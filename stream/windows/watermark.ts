/** Watermark = highest event time seen minus the allowed out-of-orderness; never goes back. */
export class WatermarkTracker {
  private maxTs = -Infinity;
  private explicit = -Infinity;

  constructor(readonly outOfOrdernessMs: number) {}

  observe(ts: number): void {
    if (ts > this.maxTs) this.maxTs = ts;
  }

  /** Moves the watermark forward by hand (tests, idle partitions). */
  advanceTo(watermark: number): void {
    if (watermark > this.explicit) this.explicit = watermark;
  }

  get current(): number {
    return Math.max(this.maxTs - this.outOfOrdernessMs, this.explicit);
  }

  snapshot(): { maxTs: number; explicit: number } {
    return { maxTs: this.maxTs, explicit: this.explicit };
  }

  restore(s: { maxTs: number | null; explicit: number | null }): void {
    // JSON turns -Infinity into null.
    this.maxTs = s.maxTs ?? -Infinity;
    this.explicit = s.explicit ?? -Infinity;
  }
}

import t, { type Test } from 'tap';
import {
  DEFAULT_SPIKE_OPTIONS,
  SPIKE_KINDS,
  SpikeMonitor,
  type AlertUpdate,
  type WindowStats,
} from '../../engines/spikes/index.js';
import { Random } from '../../engines/stats/index.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 5); // a Monday, 00:00 UTC

interface Step {
  at: number;
  durationMs: number;
  /** Volume multiplier. */
  size?: number;
  /** The negative share during the step. */
  share?: number;
}

/** Seeded 1-minute windows: Poisson posts on a daily cycle (peak 18:00 UTC), a binomial share of them negative. */
function traffic(o: {
  seed: number;
  perMinute: number;
  minutes: number;
  from?: number;
  amplitude?: number;
  share?: number;
  steps?: Step[];
}): WindowStats[] {
  const rng = new Random(o.seed);
  const from = o.from ?? T0;
  const out: WindowStats[] = [];
  for (let i = 0; i < o.minutes; i++) {
    const start = from + i * MIN;
    const hour = (start % DAY) / HOUR;
    let mean = o.perMinute * (1 + (o.amplitude ?? 0.5) * Math.cos((2 * Math.PI * (hour - 18)) / 24));
    let share = o.share ?? 0.2;
    for (const s of o.steps ?? []) {
      if (start >= s.at && start < s.at + s.durationMs) {
        mean *= s.size ?? 1;
        share = s.share ?? share;
      }
    }
    const posts = rng.poisson(mean);
    let negative = 0;
    for (let k = 0; k < posts; k++) if (rng.chance(share)) negative++;
    out.push({ start, posts, negative });
  }
  return out;
}

function feed(m: SpikeMonitor, windows: readonly WindowStats[], brand = 'Acme'): AlertUpdate[] {
  return windows.flatMap((w) => m.observe(brand, w));
}

const opened = (updates: readonly AlertUpdate[]) => updates.filter((u) => u.update === 0);

function checkFinite(t: Test, updates: readonly AlertUpdate[]): void {
  for (const u of updates)
    for (const k of ['observed', 'baseline', 'peak', 'score', 'posts', 'negative', 'updated_at'] as const)
      if (!Number.isFinite(u[k])) t.fail(`${u.id} ${k} is ${u[k]}`);
}

t.test('options: defaults, overrides and RangeErrors', async (t) => {
  t.same(new SpikeMonitor().options, DEFAULT_SPIKE_OPTIONS);
  t.equal(new SpikeMonitor({ windowMs: 5 * MIN }).options.windowMs, 5 * MIN);
  for (const bad of [
    { windowMs: 0 },
    { windowMs: 1.5 * 1000.3 },
    { threshold: -1 },
    { highThreshold: 1 },
    { confirmWindows: 0 },
    { minRatio: 0.5 },
    { shareMinRise: 1 },
    { spansMs: [30_000] },
    { spansMs: [10_000 * MIN] },
    { resolveScore: 10 },
    { cooldownMs: Number.NaN },
    { severityScores: [10, 5, 20] as [number, number, number] },
  ])
    t.throws(() => new SpikeMonitor(bad), RangeError, JSON.stringify(bad));
});

t.test('no alert on flat traffic with Poisson noise and a daily cycle over a week', async (t) => {
  for (const perMinute of [0.5, 5, 60, 800]) {
    const m = new SpikeMonitor();
    const updates = feed(m, traffic({ seed: 11, perMinute, minutes: 7 * 24 * 60 }));
    t.same(opened(updates), [], `${perMinute} posts a minute`);
  }
});

t.test('a step fires within two windows, once per kind, and resolves', async (t) => {
  const at = T0 + 6 * HOUR;
  const windows = traffic({
    seed: 3,
    perMinute: 200,
    minutes: 8 * 60,
    steps: [{ at, durationMs: 20 * MIN, size: 3, share: 0.6 }],
  });
  const updates = feed(new SpikeMonitor(), windows);
  checkFinite(t, updates);
  const opens = opened(updates);
  t.same(opens.map((u) => u.kind).sort(), [...SPIKE_KINDS].sort(), 'one alert of each kind');
  for (const u of opens) {
    t.ok(u.updated_at - at <= 2 * MIN, `${u.kind} opened ${(u.updated_at - at) / 1000} s after the step`);
    t.equal(u.id, `Acme:${u.kind}:${u.opened_at}`);
    t.equal(u.state, 'open');
    t.equal(u.opened_at, at, 'opened at the first spiking window');
  }
  for (const kind of SPIKE_KINDS) {
    const own = updates.filter((u) => u.kind === kind);
    t.same(
      own.map((u) => u.update),
      own.map((_, i) => i),
      `${kind}: updates count up from 0`,
    );
    const last = own[own.length - 1]!;
    t.equal(last.state, 'resolved', `${kind} resolves`);
    t.ok(last.resolved_at! >= at + 20 * MIN, 'not before the step is over');
    t.ok(last.resolved_at! <= at + 40 * MIN, 'soon after it');
    t.equal(new Set(own.map((u) => u.id)).size, 1, 'one id for the whole spike');
  }
});

t.test('one window over the threshold does not fire; one far over it does', async (t) => {
  const base = traffic({ seed: 5, perMinute: 100, minutes: 3 * 60 });
  const noisy = base.map((w, i) => (i === 150 ? { ...w, posts: Math.round(w.posts * 1.6) } : w));
  t.same(opened(feed(new SpikeMonitor(), noisy)), [], 'a 1.6x window alone');
  const huge = base.map((w, i) => (i === 150 ? { ...w, posts: w.posts * 6 } : w));
  const opens = opened(feed(new SpikeMonitor(), huge));
  t.same(
    opens.map((u) => [u.kind, u.opened_at]),
    [['volume', base[150]!.start]],
    'a 6x window alone',
  );
});

t.test('deterministic: the same windows give the same updates', async (t) => {
  const windows = traffic({
    seed: 9,
    perMinute: 40,
    minutes: 6 * 60,
    steps: [{ at: T0 + 4 * HOUR, durationMs: 30 * MIN, size: 2.5, share: 0.5 }],
  });
  const a = feed(new SpikeMonitor(), windows);
  t.ok(a.length > 0);
  t.same(feed(new SpikeMonitor(), windows), a);
});

t.test('snapshot mid-spike: the restored monitor emits the same updates', async (t) => {
  const windows = traffic({
    seed: 21,
    perMinute: 120,
    minutes: 5 * 60,
    steps: [{ at: T0 + 4 * HOUR, durationMs: 40 * MIN, size: 3, share: 0.7 }],
  });
  const cut = windows.findIndex((w) => w.start === T0 + 4 * HOUR + 10 * MIN);
  const whole = new SpikeMonitor();
  const before = feed(whole, windows.slice(0, cut));
  t.ok(
    before.some((u) => u.state === 'open'),
    'an alert is open at the cut',
  );
  t.ok(whole.openAlerts().length > 0);
  const state = JSON.parse(JSON.stringify(whole.snapshot())) as unknown;
  const restored = new SpikeMonitor();
  restored.restore(state);
  t.same(restored.openAlerts(), whole.openAlerts());
  t.equal(restored.size, whole.size);
  const rest = windows.slice(cut);
  t.same(feed(restored, rest), feed(whole, rest));
  t.same(restored.snapshot(), whole.snapshot());

  restored.restore(undefined);
  t.equal(restored.size, 0, 'restore(undefined) empties');
  t.same(restored.openAlerts(), []);
  t.throws(() => restored.restore({ v: 99 }), RangeError);
});

t.test(
  "a new brand does not fire on its first posts; the embedded default's spike after 30 min is found",
  async (t) => {
    // Hours of empty windows, then posts at once, with a burst in the first minutes.
    const windows = traffic({ seed: 4, perMinute: 300, minutes: 4 * 60 }).map((w, i) =>
      i < 120
        ? { ...w, posts: 0, negative: 0 }
        : i < 125
          ? { ...w, posts: w.posts * 3, negative: w.posts }
          : w,
    );
    t.same(opened(feed(new SpikeMonitor(), windows)), [], 'first posts and a burst in the warm-up');

    const start = T0 + 10 * HOUR + 17_000;
    const backfilled = traffic({
      seed: 42,
      perMinute: 900,
      minutes: 45,
      from: start - 30 * MIN - 17_000,
      steps: [{ at: start + 2 * MIN, durationMs: 3 * MIN, size: 4, share: 0.8 }],
    });
    const opens = opened(feed(new SpikeMonitor(), backfilled));
    t.same(opens.map((u) => u.kind).sort(), [...SPIKE_KINDS].sort());
    for (const u of opens) t.ok(u.updated_at - (start + 2 * MIN) <= 2 * MIN);
  },
);

t.test('cooldown: a second spike soon after a resolve does not open again; a later one does', async (t) => {
  const options = { cooldownMs: 60 * MIN };
  const at = T0 + 5 * HOUR;
  const steps = (gap: number): Step[] => [
    { at, durationMs: 10 * MIN, size: 4 },
    { at: at + gap, durationMs: 10 * MIN, size: 4 },
  ];
  const volumeAlerts = (gap: number) =>
    opened(
      feed(
        new SpikeMonitor(options),
        traffic({ seed: 8, perMinute: 80, minutes: 8 * 60, steps: steps(gap) }),
      ),
    ).filter((u) => u.kind === 'volume');
  t.equal(volumeAlerts(40 * MIN).length, 1, 'the second spike falls in the cooldown');
  const late = volumeAlerts(120 * MIN);
  t.equal(late.length, 2, 'after the cooldown it opens again');
  t.not(late[0]!.id, late[1]!.id);
});

t.test('one open alert per brand and kind, across a long spike with new peaks', async (t) => {
  const at = T0 + 5 * HOUR;
  const windows = traffic({
    seed: 12,
    perMinute: 60,
    minutes: 9 * 60,
    steps: [
      { at, durationMs: 90 * MIN, size: 2.5, share: 0.5 },
      { at: at + 30 * MIN, durationMs: 30 * MIN, size: 2 },
    ],
  });
  const m = new SpikeMonitor();
  const open = new Map<string, string>();
  for (const w of windows) {
    for (const u of m.observe('Acme', w)) {
      const current = open.get(u.kind);
      if (u.update === 0) {
        t.equal(current, undefined, `${u.kind} opens while none is open`);
        open.set(u.kind, u.id);
      } else t.equal(u.id, current, 'updates go to the open alert');
      if (u.state === 'resolved') open.delete(u.kind);
    }
    t.ok(m.openAlerts().length <= SPIKE_KINDS.length);
  }
  t.equal(m.size, 1);
});

t.test('gaps and zero-volume hours: no alert, no NaN, bounded work', async (t) => {
  const rng = new Random(31);
  // A small brand: about one post in five minutes, nothing at night, windows only when it has posts.
  const sparse = traffic({ seed: 31, perMinute: 0.2, minutes: 5 * 24 * 60, amplitude: 1 }).filter(
    (w) => w.posts > 0 && rng.chance(0.9),
  );
  const m = new SpikeMonitor();
  const updates = feed(m, sparse);
  checkFinite(t, updates);
  t.same(opened(updates), [], 'a sparse brand with gaps');

  // A busy brand that goes silent for six hours (an outage upstream) and comes back.
  const busy = traffic({ seed: 32, perMinute: 50, minutes: 2 * 24 * 60 }).filter(
    (w) => w.start < T0 + 30 * HOUR || w.start >= T0 + 36 * HOUR,
  );
  t.same(opened(feed(new SpikeMonitor(), busy)), [], 'back after a six-hour gap');

  // A gap of ten years is skipped in bounded work.
  const far = new SpikeMonitor();
  feed(far, traffic({ seed: 33, perMinute: 50, minutes: 60 }));
  const started = process.hrtime.bigint();
  t.same(far.observe('Acme', { start: T0 + 3650 * DAY, posts: 50, negative: 10 }), []);
  t.ok(process.hrtime.bigint() - started < 5_000_000_000n, 'does not walk ten years of minutes');

  // Bad numbers are taken as zero posts, not NaN.
  const odd = new SpikeMonitor();
  feed(odd, traffic({ seed: 34, perMinute: 20, minutes: 60 }));
  const u = odd.observe('Acme', { start: T0 + 61 * MIN, posts: Number.NaN, negative: -3 });
  checkFinite(t, u);
  t.same(odd.observe('Acme', { start: Number.NaN, posts: 1, negative: 0 }), []);
});

t.test('a clock jump: a window far ahead, then silence, then normal traffic a day later', async (t) => {
  const before = traffic({ seed: 41, perMinute: 100, minutes: 12 * 60 });
  const lastStart = before[before.length - 1]!.start;
  const jump: WindowStats = { start: lastStart + DAY, posts: 1, negative: 0 };
  const after = traffic({ seed: 42, perMinute: 100, minutes: 36 * 60 }).filter((w) => w.start > jump.start);
  const m = new SpikeMonitor();
  const updates = feed(m, [...before, jump, ...after]);
  checkFinite(t, updates);
  t.same(opened(updates), []);
  t.same(m.observe('Acme', before[10]!), [], 'a window before the last one is ignored');
});

t.test('brands are independent and the order of updates is deterministic', async (t) => {
  const at = T0 + 3 * HOUR;
  const spiking = traffic({
    seed: 51,
    perMinute: 100,
    minutes: 5 * 60,
    steps: [{ at, durationMs: 10 * MIN, size: 5 }],
  });
  const calm = traffic({ seed: 52, perMinute: 100, minutes: 5 * 60 });
  const m = new SpikeMonitor();
  const updates: AlertUpdate[] = [];
  spiking.forEach((w, i) => {
    const caused = m.observe('B', w);
    const order = caused.map((u) => SPIKE_KINDS.indexOf(u.kind));
    t.same(
      order,
      [...order].sort((a, b) => a - b),
      'one window: updates in SPIKE_KINDS order',
    );
    updates.push(...caused, ...m.observe('A', calm[i]!));
  });
  t.ok(updates.length > 0);
  t.ok(
    updates.every((u) => u.brand === 'B'),
    'only the spiking brand',
  );
  t.equal(m.size, 2);
});

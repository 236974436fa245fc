import { OnlineRidge } from '../../engines/stats/index.js';
import { currentWindowSize } from '../analytics/read-common.js';
import type { Campaign, Costs } from './store.js';
import type { CampaignWindowRow } from './windows-table.js';

interface Counts {
  impressions: number;
  clicks: number;
  conversions: number;
  revenue: number;
}

export interface RoiFigures extends Counts {
  cost: number;
  /** (revenue − cost) / cost; null when nothing cost anything. */
  roi: number | null;
  cost_per_conversion: number | null;
}

export interface RoiArm extends RoiFigures {
  arm: string;
  /** The model's ROI for the arm's features; null before it has learned from any window. */
  predicted_roi: number | null;
}

export interface RoiReport {
  campaign: string;
  from: number;
  to: number;
  window_ms: number | null;
  arms: RoiArm[];
  windows: (RoiFigures & { arm: string; start: number })[];
  model: {
    kind: string;
    features: string[];
    weights: number[];
    n: number;
    rmse: number | null;
    mae: number | null;
  };
}

const RATES = ['per_impression', 'per_click', 'per_conversion'] as const;

/** The arm's cost settings: its own, else the campaign's, field by field (budget: the arm's own only). */
function armRates(c: Campaign, arm: string): Required<Omit<Costs, 'budget'>> {
  const own = c.arm_costs?.[arm] ?? {};
  const all = c.costs ?? {};
  return {
    per_impression: own.per_impression ?? all.per_impression ?? 0,
    per_click: own.per_click ?? all.per_click ?? 0,
    per_conversion: own.per_conversion ?? all.per_conversion ?? 0,
  };
}

function figures(k: Counts, cost: number): RoiFigures {
  return {
    ...k,
    cost: round(cost),
    revenue: round(k.revenue),
    roi: cost > 0 ? round((k.revenue - cost) / cost) : null,
    cost_per_conversion: k.conversions > 0 ? round(cost / k.conversions) : null,
  };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function add(to: Counts, r: Counts): void {
  to.impressions += r.impressions;
  to.clicks += r.clicks;
  to.conversions += r.conversions;
  to.revenue += r.revenue;
}

const zero = (): Counts => ({ impressions: 0, clicks: 0, conversions: 0, revenue: 0 });

/**
 * Cost, revenue, ROI and cost per conversion per arm and window from stage 2's campaign windows
 * (rows of every partition, summed), with the campaign's current costs: per impression, click and
 * conversion (an arm's own rates override the campaign's), plus fixed budgets — the campaign's
 * spread over the arms by their share of impressions in the range, an arm's own on that arm.
 *
 * The model: online ridge regression of a window's ROI on the arm's features (its cost rates and
 * `arm_features`), learned window by window in time order; its error is prequential (each window
 * predicted before it is learned), and it predicts every arm's ROI.
 *
 * Only rows of the window size stage 2 writes now count (`currentWindowSize`, over all of `rows`):
 * after a restart with another `--campaign-window` the store holds windows of both sizes, which
 * overlap in time, and adding them up would count feedback twice.
 */
export function campaignRoi(
  c: Campaign,
  rows: readonly CampaignWindowRow[],
  from: number,
  to: number,
): RoiReport {
  const cells = new Map<string, Counts & { arm: string; start: number }>();
  const sizeMs = currentWindowSize(rows);
  let windowMs: number | null = null;
  for (const r of rows) {
    if (r.size_ms !== sizeMs || r.start + r.size_ms <= from || r.start >= to) continue;
    windowMs ??= r.size_ms;
    const key = `${r.arm}\u0000${r.start}`;
    let cell = cells.get(key);
    if (!cell) cells.set(key, (cell = { arm: r.arm, start: r.start, ...zero() }));
    add(cell, r);
  }
  const ordered = [...cells.values()].sort((a, b) => a.start - b.start || (a.arm < b.arm ? -1 : 1));
  const totalImpressions = ordered.reduce((n, w) => n + w.impressions, 0);
  const armNames = [...new Set([...c.arms, ...c.retired, ...ordered.map((w) => w.arm)])];
  const armImpressions = new Map<string, number>();
  for (const w of ordered) armImpressions.set(w.arm, (armImpressions.get(w.arm) ?? 0) + w.impressions);

  /** A window's share of the fixed budgets (by impressions). */
  const budgetCost = (arm: string, impressions: number): number => {
    const campaignBudget = c.costs?.budget ?? 0;
    const armBudget = c.arm_costs?.[arm]?.budget ?? 0;
    const ofCampaign = totalImpressions > 0 ? (campaignBudget * impressions) / totalImpressions : 0;
    const armTotal = armImpressions.get(arm) ?? 0;
    const ofArm = armTotal > 0 ? (armBudget * impressions) / armTotal : 0;
    return ofCampaign + ofArm;
  };
  const variableCost = (arm: string, k: Counts): number => {
    const r = armRates(c, arm);
    return k.impressions * r.per_impression + k.clicks * r.per_click + k.conversions * r.per_conversion;
  };

  const featureNames = [
    ...RATES,
    ...[...new Set(Object.values(c.arm_features ?? {}).flatMap((f) => Object.keys(f)))].sort(),
  ];
  const featuresOf = (arm: string): number[] => {
    const r = armRates(c, arm);
    const f = c.arm_features?.[arm] ?? {};
    return featureNames.map((name, i) => (i < RATES.length ? r[RATES[i]!] : (f[name] ?? 0)));
  };

  const model = new OnlineRidge(featureNames.length, { lambda: 1 });
  const windows = ordered.map((w) => {
    const cost = variableCost(w.arm, w) + budgetCost(w.arm, w.impressions);
    const out = { arm: w.arm, start: w.start, ...figures(w, cost) };
    if (out.roi !== null) model.update(featuresOf(w.arm), out.roi);
    return out;
  });

  const arms = armNames.map((arm): RoiArm => {
    const k = zero();
    for (const w of ordered) if (w.arm === arm) add(k, w);
    const cost = variableCost(arm, k) + budgetCost(arm, k.impressions);
    return {
      arm,
      ...figures(k, cost),
      predicted_roi: model.n > 0 ? round(model.predict(featuresOf(arm))) : null,
    };
  });

  return {
    campaign: c.id,
    from,
    to,
    window_ms: windowMs,
    arms,
    windows,
    model: {
      kind: 'online ridge regression (lambda 1) of window ROI on arm features',
      features: [...featureNames, 'intercept'],
      weights: [...model.weights, model.bias].map(round),
      n: model.n,
      rmse: model.n > 0 ? round(model.rmse) : null,
      mae: model.n > 0 ? round(model.mae) : null,
    },
  };
}

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Random } from '../../engines/stats/index.js';
import { loadScenario } from '../../ingest/synthetic/index.js';
import { startApp } from '../compose.js';
import { loadConfig } from '../config.js';
import { PROJECT_ROOT } from '../paths.js';

/** A scenario's campaign with its hidden click rates. */
export interface ScenarioCampaign {
  scenario: string;
  id: string;
  arms: { id: string; clickRate: number }[];
}

export interface PipelineRow {
  scenario: string;
  campaign: string;
  policy: string;
  decisions: number;
  /** Expected clicks lost against always showing the best arm: Σ (best rate − chosen arm's rate). */
  regret: number;
  /** What the scenario's own traffic loses (arms in rotation). */
  uniform_regret: number;
  /** The share of decisions that chose the best arm. */
  best_share: number;
  /** Rewards the arm statistics hold at the end (each came through the bus and stage 2, once). */
  observations: number;
  /** The campaign's leader at the end, and the best arm. */
  leader: string | null;
  best: string;
}

/** Every campaign of the shipped scenarios (scenarios/*.json), with its true click rates. */
export async function scenarioCampaigns(dir = join(PROJECT_ROOT, 'scenarios')): Promise<ScenarioCampaign[]> {
  const out: ScenarioCampaign[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.json')).sort()) {
    const s = await loadScenario(join(dir, file));
    for (const c of s.campaigns ?? [])
      out.push({
        scenario: file.replace(/\.json$/, ''),
        id: c.id,
        arms: c.arms.map((a) => ({ id: a.id, clickRate: a.clickRate })),
      });
  }
  return out;
}

/**
 * Replays the scenarios' campaigns through the whole embedded pipeline: each decision is asked of
 * `POST /v1/campaigns/:id/decide`, its click drawn from the chosen arm's hidden rate, and its reward
 * (1 or 0) sent as campaign feedback to `POST /v1/feedback` in batches, so it reaches the arms
 * through the bus, stage 2's `campaigns` operator and the campaign store, as a connector's would:
 * the policy learns with the pipeline's delay. The regret counts expected clicks lost.
 */
export async function replayThroughPipeline(o: {
  campaigns: readonly ScenarioCampaign[];
  policies: readonly string[];
  decisions: number;
  seed: number;
  batch?: number;
  progress?: (line: string) => void;
}): Promise<PipelineRow[]> {
  const running = await startApp(
    loadConfig(['--port', '0', '--no-synthetic', '--log-level', 'silent', '--sentiment-model', 'rules'], {}),
  );
  const app = running.app;
  const rows: PipelineRow[] = [];
  try {
    for (const c of o.campaigns)
      for (const policy of o.policies) {
        const id = `${c.scenario}.${c.id}.${policy}`;
        const created = await app.inject({
          method: 'POST',
          url: '/v1/campaigns',
          payload: { id, arms: c.arms.map((a) => a.id), policy },
        });
        if (created.statusCode !== 201) throw new Error(`campaign ${id}: ${created.body}`);
        const rates = new Map(c.arms.map((a) => [a.id, a.clickRate]));
        const bestRate = Math.max(...rates.values());
        const best = c.arms.find((a) => a.clickRate === bestRate)!.id;
        const meanRate = c.arms.reduce((s, a) => s + a.clickRate, 0) / c.arms.length;
        const rng = new Random(o.seed);
        let regret = 0;
        let bestPulls = 0;
        let pending: string[] = [];
        const flush = async () => {
          if (pending.length === 0) return;
          const res = await app.inject({
            method: 'POST',
            url: '/v1/feedback',
            headers: { 'content-type': 'application/x-ndjson' },
            payload: pending.join('\n') + '\n',
          });
          if (res.statusCode !== 202) throw new Error(`feedback: ${res.statusCode} ${res.body}`);
          pending = [];
        };
        for (let i = 0; i < o.decisions; i++) {
          const d = (
            await app.inject({ method: 'POST', url: `/v1/campaigns/${id}/decide`, payload: {} })
          ).json<{
            decision_id: string;
            arm: string;
          }>();
          const rate = rates.get(d.arm)!;
          regret += bestRate - rate;
          if (d.arm === best) bestPulls++;
          const value = rng.chance(rate) ? 1 : 0;
          pending.push(
            JSON.stringify({
              campaign: id,
              arm: d.arm,
              decision_id: d.decision_id,
              kind: 'reward',
              value,
              ts: Date.now(),
            }),
          );
          if (pending.length >= (o.batch ?? 50)) await flush();
        }
        await flush();
        const summary = await waitForObservations(app, id, o.decisions);
        rows.push({
          scenario: c.scenario,
          campaign: c.id,
          policy,
          decisions: o.decisions,
          regret: Math.round(regret * 10) / 10,
          uniform_regret: Math.round((bestRate - meanRate) * o.decisions * 10) / 10,
          best_share: Math.round((bestPulls / o.decisions) * 1000) / 1000,
          observations: summary.observations,
          leader: summary.leader,
          best,
        });
        o.progress?.(`eval-bandits: pipeline ${id} done`);
      }
  } finally {
    await running.stop();
  }
  return rows;
}

async function waitForObservations(
  app: Awaited<ReturnType<typeof startApp>>['app'],
  id: string,
  n: number,
): Promise<{ observations: number; leader: string | null }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const s = (await app.inject({ method: 'GET', url: `/v1/campaigns/${id}` })).json<{
      observations: number;
      leader: string | null;
    }>();
    if (s.observations >= n || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
}

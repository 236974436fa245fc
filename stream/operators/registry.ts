import { bestTimes } from './best-times.js';
import { brandActivity } from './brand-activity.js';
import { campaignWindows } from './campaign-windows.js';
import { influencers } from './influencers.js';
import type { OperatorDefinition } from './operator.js';
import { segments } from './segments.js';
import { shareOfVoice } from './share-of-voice.js';
import { spikeWindows } from './spike-windows.js';
import { topics } from './topics.js';
import { trends } from './trends.js';
import { windowAggregates } from './window-aggregates.js';

/**
 * Every analysis stage 2 can run, in the order it runs them. Adding one: its engine in engines/,
 * its operator in this folder, its table's migration in store/clickhouse/migrations.ts, and one
 * line here (README → Adding an analysis).
 */
export const OPERATORS: readonly OperatorDefinition[] = [
  windowAggregates,
  brandActivity,
  spikeWindows,
  campaignWindows,
  shareOfVoice,
  influencers,
  trends,
  topics,
  segments,
  bestTimes,
];

export const OPERATOR_NAMES: readonly string[] = OPERATORS.map((o) => o.name);

/** The definitions of the named operators, in registry order; throws RangeError naming an unknown one. */
export function selectOperators(names: readonly string[]): OperatorDefinition[] {
  for (const name of names)
    if (!OPERATOR_NAMES.includes(name))
      throw new RangeError(`unknown operator "${name}": choose from ${OPERATOR_NAMES.join(', ')}`);
  return OPERATORS.filter((o) => names.includes(o.name));
}

/** Every table the given operators write (for the store to open and migrate). */
export function operatorTables(
  definitions: readonly OperatorDefinition[] = OPERATORS,
): OperatorDefinition['tables'] {
  return definitions.flatMap((d) => d.tables);
}

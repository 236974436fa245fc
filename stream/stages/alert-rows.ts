import type { AlertRecord, AlertSample } from '../model/alerts.js';
import type { TableSpec } from '../store/table.js';

/** An alert as the `alerts` table keeps it: the latest update per id (context as JSON text). */
export interface AlertRow {
  id: string;
  brand: string;
  kind: string;
  state: string;
  update: number;
  severity: string;
  opened_at: number;
  updated_at: number;
  /** 0 while open. */
  resolved_at: number;
  window_ms: number;
  observed: number;
  baseline: number;
  peak: number;
  score: number;
  posts: number;
  negative: number;
  /** JSON array of strings. */
  top_terms: string;
  /** JSON array of AlertSample. */
  samples: string;
  version: number;
}

export const ALERTS_TABLE: TableSpec<AlertRow> = {
  name: 'alerts',
  columns: {
    id: 'String',
    brand: 'String',
    kind: 'String',
    state: 'String',
    update: 'UInt32',
    severity: 'String',
    opened_at: 'Int64',
    updated_at: 'Int64',
    resolved_at: 'Int64',
    window_ms: 'UInt32',
    observed: 'Float64',
    baseline: 'Float64',
    peak: 'Float64',
    score: 'Float64',
    posts: 'UInt64',
    negative: 'UInt64',
    top_terms: 'String',
    samples: 'String',
    version: 'UInt64',
  },
  key: ['id'],
  maxMemoryRows: 10_000,
};

export function alertRow(a: AlertRecord, version: number): AlertRow {
  const { top_terms, samples, resolved_at, ...rest } = a;
  return {
    ...rest,
    resolved_at: resolved_at ?? 0,
    top_terms: JSON.stringify(top_terms),
    samples: JSON.stringify(samples),
    version,
  };
}

export function alertFromRow(r: AlertRow): AlertRecord {
  const { top_terms, samples, resolved_at, version: _version, ...rest } = r;
  return {
    ...(rest as unknown as Omit<AlertRecord, 'top_terms' | 'samples' | 'resolved_at'>),
    resolved_at: resolved_at > 0 ? resolved_at : null,
    top_terms: JSON.parse(top_terms) as string[],
    samples: JSON.parse(samples) as AlertSample[],
  };
}

// The shapes the page reads from the REST API and the WebSocket (README "API", "WebSocket").

export interface BrandInfo {
  id: string;
  name: string;
  kind: 'own' | 'competitor';
}

export interface WindowAggregate {
  brand: string;
  window: string;
  start: number;
  end: number;
  posts: number;
  positive: number;
  neutral: number;
  negative: number;
  /** Posts in a language the sentiment model does not support: counted, not scored. */
  unsupported: number;
  sentiment_mean: number | null;
  authors: number;
  final: boolean;
}

export interface Alert {
  id: string;
  brand: string;
  kind: string;
  severity: string;
  state: 'open' | 'resolved';
  update: number;
  opened_at: number;
  updated_at: number;
  observed: number;
  baseline: number;
  top_terms?: string[];
  acked_at?: number;
  /** Set once someone resolved the alert by hand: the page lists it as resolved from then on. */
  resolved_by_hand_at?: number;
}

export interface Arm {
  arm: string;
  pulls: number;
  mean: number;
  interval: [number, number];
  share: number;
  retired?: boolean;
}

export interface Campaign {
  id: string;
  policy: string;
  reward: string;
  pulls: number;
  leader: string | null;
  arms: Arm[];
}

export interface Topic {
  id: string;
  label: string;
  terms: { term: string; weight: number }[];
  docs: number;
  sentiment_mean: number | null;
  emerging: boolean;
}

export interface TrendWindow {
  start: number;
  end: number;
  final: boolean;
  terms: { term: string; count: number; baseline: number; score: number; trending: boolean }[];
}

export interface VoiceBrand {
  id: string;
  name: string;
  kind: 'own' | 'competitor';
  posts: number;
  share: number | null;
  sentiment_mean: number | null;
}

export interface Voice {
  brands: VoiceBrand[];
}

export interface Influencer {
  author: string;
  score: number;
  mentions: number;
  followers: number;
}

export interface Segment {
  id: number;
  label: string;
  authors: number;
  posts: number;
  sentiment_mean: number | null;
}

export interface BestHour {
  hour: number;
  day: string;
  hour_of_day: number;
  posts: number;
  mean: number;
  lo: number;
  hi: number;
}

export interface BestTimes {
  hours: BestHour[];
  best: BestHour[];
}

/** One message of `/v1/stream`. */
export type StreamMessage =
  | { type: 'subscribed'; channels: string[] }
  | { type: 'snapshot'; channel: string; windows?: WindowAggregate[]; alerts?: Alert[] }
  | { type: 'update'; channel: string; windows: WindowAggregate[] }
  | { type: 'alert'; channel: string; alert: Alert }
  | { type: 'campaign'; channel: string; campaigns?: Campaign[]; campaign?: Campaign }
  | ({ type: 'analytics'; channel: string; window_ms?: number; as_of?: number } & Partial<AnalyticsView>)
  | { type: 'pong' }
  | { type: 'error'; code: string; message: string };

/** What the analytics panels show, from the WebSocket (live) or the REST routes (a past range). */
export interface AnalyticsView {
  topics: Topic[];
  trends: TrendWindow[];
  voice: Voice;
  influencers: Influencer[];
  segments: Segment[];
}

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Replay input the tests write themselves, shaped like the Sentiment140 export (`text`, `label`,
 * `created_at`, no id) so the replay tests need no dev data: seeded rows out of time order, with
 * the time in every format the replay reads, in JSONL or CSV.
 */
export const TIME_FORMATS = [
  'iso-utc', // 2009-05-11T03:17:40.250Z
  'iso-offset', // 2009-05-11T08:47:40+05:30
  'iso-offset-compact', // 2009-05-10 20:17:40-0700
  'rfc2822', // Mon, 11 May 2009 05:17:40 +0200
  'rfc2822-zone-name', // 10 May 2009 23:17:40 EDT
  'twitter', // Mon May 11 03:17:40 +0000 2009
  'twitter-utc', // Mon May 11 03:17:40 UTC 2009
  'epoch-seconds', // 1242011860
  'epoch-ms', // 1242011860250
] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];

export const LABELS = ['positive', 'negative', 'neutral'] as const;

export interface ReplayDataset {
  file: string;
  rows: number;
  /** Rows per label. */
  labels: Record<string, number>;
  /** The event time of each row in ms, in file order. */
  times: number[];
}

const TEXTS: Record<(typeof LABELS)[number], string[]> = {
  positive: [
    'I love my new reader, best gift ever :)',
    'great service, thanks!',
    'So happy with it "really"',
  ],
  negative: ['worst update, I hate it', 'awful support, never again :(', 'broken again, so annoyed'],
  neutral: [
    'reading the news, then off to work',
    'the store opens at 9',
    'Two lines:\nsee the thread, then reply',
  ],
};

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Offsets in minutes east of UTC used by the formats with a numeric zone. */
const OFFSETS = [330, -420, 120, 0, -300];

/** A small seeded generator (mulberry32): the same seed gives the same file. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), a | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

/** The wall-clock fields of `ts` at `offset` minutes east of UTC. */
function local(ts: number, offset: number) {
  const d = new Date(ts + offset * 60_000);
  return {
    y: d.getUTCFullYear(),
    mo: d.getUTCMonth(),
    d: d.getUTCDate(),
    wd: DAYS[d.getUTCDay()]!,
    time: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
  };
}

function zone(offset: number, colon: boolean): string {
  const sign = offset < 0 ? '-' : '+';
  return `${sign}${pad(Math.trunc(offset / 60))}${colon ? ':' : ''}${pad(offset % 60)}`;
}

/** `ts` written in `format`; the formats without milliseconds are given whole seconds. */
export function formatTime(ts: number, format: TimeFormat, offset = 0): string | number {
  const l = local(ts, offset);
  const date = `${l.y}-${pad(l.mo + 1)}-${pad(l.d)}`;
  switch (format) {
    case 'iso-utc':
      return new Date(ts).toISOString();
    case 'iso-offset':
      return `${date}T${l.time}${zone(offset, true)}`;
    case 'iso-offset-compact':
      return `${date} ${l.time}${zone(offset, false)}`;
    case 'rfc2822':
      return `${l.wd}, ${l.d} ${MONTHS[l.mo]} ${l.y} ${l.time} ${zone(offset, false)}`;
    case 'rfc2822-zone-name': {
      const edt = local(ts, -240);
      return `${edt.d} ${MONTHS[edt.mo]} ${edt.y} ${edt.time} EDT`;
    }
    case 'twitter':
      return `${l.wd} ${MONTHS[l.mo]} ${pad(l.d)} ${l.time} ${zone(offset, false)} ${l.y}`;
    case 'twitter-utc': {
      const u = local(ts, 0);
      return `${u.wd} ${MONTHS[u.mo]} ${pad(u.d)} ${u.time} UTC ${u.y}`;
    }
    case 'epoch-seconds':
      return Math.floor(ts / 1000);
    case 'epoch-ms':
      return ts;
  }
}

const withMs = (f: TimeFormat) => f === 'iso-utc' || f === 'epoch-ms';

function csvField(v: string | number): string {
  return typeof v === 'number' ? String(v) : `"${v.replace(/"/g, '""')}"`;
}

/**
 * Writes `rows` seeded rows to `<dir>/<name>.<format>` and returns what a correct replay must
 * find in them. Times fall between `from` and `from + spanMs`, in random order; rows cycle through
 * every time format. CSV quotes every text field (the texts have commas, quotes and newlines) and
 * ends lines with CRLF.
 */
export function writeReplayDataset(
  dir: string,
  o: {
    name: string;
    format: 'jsonl' | 'csv';
    rows?: number;
    seed?: number;
    from?: number;
    spanMs?: number;
  },
): ReplayDataset {
  const n = o.rows ?? 498;
  const next = random(o.seed ?? 1);
  const from = o.from ?? Date.UTC(2009, 4, 11);
  const span = o.spanMs ?? 30 * 86_400_000;
  const labels: Record<string, number> = {};
  const times: number[] = [];
  const rows: { created_at: string | number; text: string; label: string; user: string }[] = [];
  for (let i = 0; i < n; i++) {
    const format = TIME_FORMATS[i % TIME_FORMATS.length]!;
    const seconds = Math.floor(next() * (span / 1000));
    const ts = from + seconds * 1000 + (withMs(format) ? Math.floor(next() * 1000) : 0);
    const label = LABELS[Math.floor(next() * LABELS.length)]!;
    const texts = TEXTS[label];
    labels[label] = (labels[label] ?? 0) + 1;
    times.push(ts);
    rows.push({
      created_at: formatTime(ts, format, OFFSETS[i % OFFSETS.length]),
      text: `${texts[i % texts.length]!} (${i})`,
      label,
      user: `user${i % 17}`,
    });
  }
  const file = join(dir, `${o.name}.${o.format}`);
  const body =
    o.format === 'jsonl'
      ? rows.map((r) => JSON.stringify(r)).join('\n') + '\n'
      : ['created_at,text,label,user', ...rows.map((r) => Object.values(r).map(csvField).join(','))].join(
          '\r\n',
        ) + '\r\n';
  writeFileSync(file, body);
  return { file, rows: n, labels, times };
}

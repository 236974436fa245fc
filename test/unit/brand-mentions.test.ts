import t from 'tap';
import { DEFAULT_BRANDS } from '../../ingest/brands-default.js';
import { enrichEvent, selectOperators, type OperatorContext, type SocialEvent } from '../../stream/index.js';
import { mentionsOf, tokensOf } from '../../stream/model/event-tokens.js';
import { context, matcher, MIN, scorer, T0 } from '../helpers/analytics-context.js';

function post(i: number, text: string): SocialEvent {
  return {
    id: `p${i}`,
    source: 'test',
    ts: T0 + i * 1_000,
    received_ts: T0 + i * 1_000,
    tags: { hashtags: [], mentions: [], urls: [] },
    author: { id: `a${i}`, followers: 10 },
    text,
    engagement: { likes: 0, shares: 0, replies: 0 },
  };
}

const TEXTS = [
  'Northwind Coffee app outage again #northwindcoffee',
  'the northwind app is down, outage #fail',
  'Harbour Brew app outage too, switching #northwindcoffee',
];

/** The terms of the trends operator's final window after 30 posts of TEXTS, with the context given. */
function trendWords(ctx: OperatorContext): string[] {
  const op = selectOperators(['trends'])[0]!.create(ctx);
  for (let i = 0; i < 30; i++) op.fold(enrichEvent(post(i, TEXTS[i % 3]!), matcher, scorer), T0);
  const words = new Set<string>();
  for (const w of op.emit(T0 + 10 * MIN, 1).writes)
    if (w.table.name === 'trend_windows')
      for (const r of w.rows as readonly Record<string, unknown>[]) words.add(String(r.term));
  return [...words].sort();
}

t.test("trends: a brand's own name, aliases and hashtags are not its trending terms", async (t) => {
  const without = trendWords(context);
  t.ok(
    ['#northwindcoffee', 'northwind', 'coffee', 'harbour', 'brew'].every((w) => without.includes(w)),
    `without brands in the context, the mentions are counted: ${without.join(' ')}`,
  );
  t.same(
    trendWords({ ...context, brands: DEFAULT_BRANDS }),
    ['#fail', 'app', 'outage', 'switching'],
    'with them, what the posts say',
  );
});

t.test('mentionsOf: one mask per event, shared by the operators of a list of brands', async (t) => {
  const other = [{ name: 'Outage' }];
  const a = post(1, 'Northwind Coffee outage #northwindcoffee');
  const b = post(2, 'outage at @harborbrew');
  const maskA = mentionsOf(a, DEFAULT_BRANDS)!;
  t.same([...maskA], [1, 1, 0, 1], 'name and hashtag marked, position by position');
  t.equal(mentionsOf(a, DEFAULT_BRANDS), maskA, 'asked again for the same event and list: the same mask');
  t.same([...mentionsOf(a, other)!], [0, 0, 1, 0], 'another list of brands: its own mask');
  t.same([...mentionsOf(b, DEFAULT_BRANDS)!], [0, 0, 1], 'another event: its own mask');
  t.same([...mentionsOf(a, DEFAULT_BRANDS)!], [1, 1, 0, 1], 'and back');
  t.equal(mentionsOf(a, DEFAULT_BRANDS)!.length, tokensOf(a).length, 'one entry per token');
  t.equal(mentionsOf(a, []), undefined, 'no brands: no mask');
  t.equal(mentionsOf(a, undefined), undefined);
});

// Campaigns: each one's arms, pulls, means, intervals and traffic share, the leader marked.
import { byId, el, pct } from './dom.js';
import type { Campaign, StreamMessage } from './types.js';

/** campaign id → its latest summary (pushed on the `campaigns` channel) */
const campaigns = new Map<string, Campaign>();

function armRow(c: Campaign, a: Campaign['arms'][number]): HTMLTableRowElement {
  const value = (x: number) => (c.reward === 'binary' ? pct(x) : x.toFixed(3));
  const bar = el('span', { className: 'bar' });
  bar.style.width = `${Math.round(60 * a.share)}px`;
  const row = el(
    'tr',
    { className: a.arm === c.leader ? 'leader' : '' },
    el('th', { scope: 'row', textContent: a.arm === c.leader ? `★ ${a.arm}` : a.arm }),
    el('td', { className: 'pulls', textContent: String(a.pulls) }),
    el('td', { className: 'mean', textContent: value(a.mean) }),
    el('td', { className: 'interval', textContent: `${value(a.interval[0])} – ${value(a.interval[1])}` }),
    el('td', { className: 'share' }, bar, pct(a.share)),
  );
  row.dataset.arm = a.arm;
  return row;
}

function campaignCard(c: Campaign): HTMLElement {
  const table = el(
    'table',
    { className: 'arms' },
    el('caption', {
      textContent: `${c.id} · ${c.policy} · ${c.pulls} pulls · leader ${c.leader ?? '—'}`,
    }),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ...['arm', 'pulls', 'mean', '95% interval', 'share'].map((h) =>
          el('th', { scope: 'col', textContent: h }),
        ),
      ),
    ),
    el('tbody', {}, ...c.arms.filter((a) => !a.retired).map((a) => armRow(c, a))),
  );
  // a wide table scrolls inside its card, which keyboard users can then reach and scroll
  const card = el('article', { className: 'campaign', tabIndex: 0 }, table);
  card.setAttribute('aria-label', `campaign ${c.id}`);
  card.dataset.campaign = c.id;
  card.dataset.leader = c.leader ?? '';
  return card;
}

export function applyCampaigns(msg: Extract<StreamMessage, { type: 'campaign' }>): void {
  if (msg.campaigns) {
    campaigns.clear();
    for (const c of msg.campaigns) campaigns.set(c.id, c);
  } else if (msg.campaign) campaigns.set(msg.campaign.id, msg.campaign);
  byId('campaigns').hidden = campaigns.size === 0;
  byId('campaign-list').replaceChildren(
    ...[...campaigns.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map(campaignCard),
  );
}

// One card per brand: its live window of the current minute (empty when it has none).
import { byId, el, num } from './dom.js';
import { currentLive, negativeShare, state } from './state.js';

export function renderCards(): void {
  byId('cards').replaceChildren(
    ...[...state.brands.values()].map((b) => {
      const cur = currentLive(b);
      const share = cur ? negativeShare(cur) : null;
      const negShare = share === null ? null : 100 * share;
      const card = el(
        'article',
        { className: 'card', id: `card-${b.info.id}` },
        el('h3', { textContent: b.info.name }),
        el('span', { className: 'kind', textContent: b.info.kind }),
        el(
          'dl',
          {},
          el('dt', { textContent: 'posts this minute' }),
          el('dd', { className: 'posts', textContent: String(cur?.posts ?? 0) }),
          el('dt', { textContent: 'mean sentiment' }),
          el('dd', {
            className: cur && (cur.sentiment_mean ?? 0) < 0 ? 'neg' : 'pos',
            textContent: num(cur?.sentiment_mean, 2),
          }),
          el('dt', { textContent: 'negative' }),
          el('dd', {
            className: 'neg negative-share',
            textContent: negShare === null ? '–' : `${num(negShare)}%`,
          }),
          el('dt', { textContent: 'authors' }),
          el('dd', { textContent: String(cur?.authors ?? 0) }),
        ),
      );
      card.style.setProperty('--color', b.color);
      return card;
    }),
  );
}

// The brand picker: which brand the analytics panels show, kept in the URL's #brand=.
import { byId, el } from './dom.js';
import { state } from './state.js';
import type { BrandInfo } from './types.js';

/** Fills the picker and chooses the brand of the URL, else the first own brand; `onChange(previous)` after a change. */
export function setUpBrandPicker(list: BrandInfo[], onChange: (previous: string | null) => void): void {
  const select = byId<HTMLSelectElement>('brand-select');
  select.replaceChildren(
    ...list.map((b) =>
      el('option', {
        value: b.id,
        textContent: `${b.name}${b.kind === 'competitor' ? ' (competitor)' : ''}`,
      }),
    ),
  );
  const wanted = new URLSearchParams(location.hash.slice(1)).get('brand');
  const first = list.find((b) => b.id === wanted) ?? list.find((b) => b.kind === 'own') ?? list[0];
  if (!first) return;
  select.value = first.id;
  state.brand = first.id;
  select.addEventListener('change', () => {
    const previous = state.brand;
    if (previous === select.value) return;
    state.brand = select.value;
    const params = new URLSearchParams(location.hash.slice(1));
    params.set('brand', select.value);
    history.replaceState(null, '', `${location.pathname}${location.search}#${params}`);
    onChange(previous);
  });
}

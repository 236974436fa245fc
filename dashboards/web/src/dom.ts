// Small DOM and number-formatting helpers shared by the sections.

type Attrs = Record<string, unknown> & { className?: string; textContent?: string };

/** An element with properties and children; `null`/`''` children are skipped. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  Object.assign(node, attrs);
  for (const c of children) if (c !== null && c !== '') node.append(c);
  return node;
}

/** The element with this id; a missing one is a bug in index.html, said plainly. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`index.html lacks #${id}`);
  return node as T;
}

export function num(x: number | null | undefined, digits = 0): string {
  return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '–';
}

export function signed(x: number | null | undefined): string {
  return typeof x === 'number' && Number.isFinite(x) ? `${x > 0 ? '+' : ''}${x.toFixed(2)}` : '–';
}

export function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

export function sentimentClass(x: number | null | undefined): string {
  return typeof x !== 'number' ? '' : x > 0.05 ? 'pos' : x < -0.05 ? 'neg' : '';
}

/** HH:MM of a time, UTC. */
export function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

export function badge(text: string, kind: string): HTMLSpanElement {
  return el('span', { className: `badge badge-${kind}`, textContent: text });
}

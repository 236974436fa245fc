/**
 * Plain text from the small HTML subset Mastodon and other fediverse servers put in a status's
 * `content`: `<p>`, `<br>`, `<a>` and `<span>` (including Mastodon's `invisible` spans that hide the
 * scheme of a shortened link, kept here so the text carries the whole URL). No DOM, linear time.
 */
import { decodeEntities } from '../../engines/text/index.js';

export interface HtmlText {
  /** Tags removed, entities decoded, paragraphs and line breaks as single spaces, whitespace collapsed. */
  text: string;
  /** Every `<a>` with its `href` and `class` (mentions and hashtags are links too; callers pick). */
  links: { href: string; className: string }[];
}

// A tag: its name and the rest of it up to `>` (attribute values in quotes may contain `>`).
const TAG = /<\/?([a-zA-Z][a-zA-Z0-9-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>|<!--[\s\S]*?-->/g;
const ATTR = /([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/g;
/** Elements whose start or end separates words: a line or block boundary. */
const BREAKING = new Set([
  'br',
  'p',
  'div',
  'li',
  'ul',
  'ol',
  'blockquote',
  'pre',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
]);
export function htmlToText(html: string): HtmlText {
  const links: HtmlText['links'] = [];
  let text = '';
  let last = 0;
  TAG.lastIndex = 0;
  for (let m = TAG.exec(html); m !== null; m = TAG.exec(html)) {
    text += html.slice(last, m.index);
    last = m.index + m[0].length;
    const name = m[1]?.toLowerCase();
    if (name === undefined) continue; // a comment
    if (BREAKING.has(name)) text += ' ';
    else if (name === 'a' && !m[0].startsWith('</')) {
      const attrs = attributes(m[2] ?? '');
      if (attrs.href) links.push({ href: decodeEntities(attrs.href), className: attrs.class ?? '' });
    }
  }
  text += html.slice(last);
  return { text: decodeEntities(text).replace(/\s+/g, ' ').trim(), links };
}

function attributes(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  ATTR.lastIndex = 0;
  for (let m = ATTR.exec(s); m !== null; m = ATTR.exec(s))
    out[(m[1] ?? '').toLowerCase()] = m[2] ?? m[3] ?? m[4] ?? '';
  return out;
}

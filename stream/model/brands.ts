/**
 * A brand to track, as configured: the text engine defines it (it matches brands in posts), and
 * the API and connectors take it from here so that they need not reach into engines/.
 */
export type { BrandSpec } from '../../engines/text/types.js';

/**
 * The URL-safe id of a brand, derived from its name: used in paths, WebSocket channels and NATS
 * subjects (`alerts.<id>`). "Café Crème" → "cafe-creme".
 */
export function brandId(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * A brand to track, as configured: the text engine defines it (it matches brands in posts), and
 * the API and connectors take it from here so that they need not reach into engines/.
 */
export type { BrandSpec } from '../../engines/text/types.js';

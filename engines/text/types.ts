/** A brand to track: its display name, other names people use, and its handles/hashtags. */
export interface BrandSpec {
  /** Canonical name, also the key in every aggregate (for example "Acme Coffee"). */
  name: string;
  /** Other names matched in untagged text (for example "Acme", "ACME Café"). */
  aliases?: string[];
  /** Explicit handles and hashtags without the @/# (for example "acmecoffee"). */
  handles?: string[];
  /** Whether this brand is the user's own or a competitor's; only used for display. */
  kind?: 'own' | 'competitor';
}

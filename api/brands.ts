import { brandId, type BrandSpec } from '../stream/model/index.js';

export { brandId };

export interface BrandInfo {
  /** URL-safe id derived from the name, used in paths and channel names. */
  id: string;
  name: string;
  kind: 'own' | 'competitor';
  aliases: string[];
  handles: string[];
}

/** Looks brands up by id or by name (case-insensitive), as users type either. */
export class BrandDirectory {
  readonly list: BrandInfo[];
  private readonly byKey = new Map<string, BrandInfo>();

  constructor(specs: BrandSpec[]) {
    this.list = specs.map((s) => ({
      id: brandId(s.name),
      name: s.name,
      kind: s.kind ?? 'own',
      aliases: s.aliases ?? [],
      handles: s.handles ?? [],
    }));
    for (const b of this.list) {
      if (b.id === '') throw new RangeError(`brand "${b.name}" has no letters or digits to make an id from`);
      if (this.byKey.has(b.id)) throw new RangeError(`two brands share the id "${b.id}"`);
      this.byKey.set(b.id, b);
      this.byKey.set(b.name.toLowerCase(), b);
    }
  }

  find(idOrName: string): BrandInfo | undefined {
    return this.byKey.get(idOrName.toLowerCase()) ?? this.byKey.get(brandId(idOrName));
  }

  /** Whether `id` is a tracked brand's id exactly (as channels name brands), not a name or a near miss. */
  hasId(id: string): boolean {
    return this.find(id)?.id === id;
  }

  byName(name: string): BrandInfo | undefined {
    return this.byKey.get(name.toLowerCase());
  }
}

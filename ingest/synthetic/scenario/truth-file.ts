import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { once } from 'node:events';
import type { TruthRecord } from './truth.js';

/**
 * Writes truth records to a file: NDJSON (one record per line, streamed) unless the name ends in
 * `.json`, which gets one object with an array per record type (held in memory until close). The
 * file appears whole at close (written to a temporary name, then renamed), so a run that fails
 * halfway leaves no truncated truth behind.
 */
export class TruthFile {
  private readonly json: boolean;
  private readonly tmp: string;
  private readonly grouped = new Map<string, unknown[]>();
  private stream: ReturnType<typeof createWriteStream> | undefined;

  constructor(readonly path: string) {
    this.json = path.toLowerCase().endsWith('.json');
    this.tmp = `${path}.${process.pid}.tmp`;
  }

  async write(records: readonly TruthRecord[]): Promise<void> {
    if (this.json) {
      for (const { type, ...rest } of records) {
        const list = this.grouped.get(type) ?? [];
        list.push(rest);
        this.grouped.set(type, list);
      }
      return;
    }
    if (!this.stream) {
      await mkdir(dirname(this.path), { recursive: true });
      this.stream = createWriteStream(this.tmp);
    }
    const text = records.map((r) => JSON.stringify(r) + '\n').join('');
    if (text !== '' && !this.stream.write(text)) await once(this.stream, 'drain');
  }

  /** Finishes the file and moves it into place. */
  async close(): Promise<void> {
    if (this.json) {
      const one = (type: string): unknown => this.grouped.get(type)?.[0] ?? null;
      const many = (type: string): unknown[] => this.grouped.get(type) ?? [];
      const doc = {
        scenario: one('scenario'),
        spikes: many('spike'),
        arms: many('arm'),
        events: many('event'),
        duplicates: many('duplicate'),
        malformed: many('malformed'),
        counts: one('counts'),
      };
      await mkdir(dirname(this.path), { recursive: true });
      this.stream = createWriteStream(this.tmp);
      this.stream.write(JSON.stringify(doc, null, 1) + '\n');
    }
    if (!this.stream) await this.write([]);
    const stream = this.stream!;
    stream.end();
    await once(stream, 'finish');
    await rename(this.tmp, this.path);
  }

  /** Drops the temporary file of a run that failed. */
  async discard(): Promise<void> {
    this.stream?.destroy();
    await rm(this.tmp, { force: true });
  }
}

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * A connector's resume position in a small JSON file, written atomically (temporary file, then
 * rename), so a crash leaves either the old position or the new one, never half of one.
 */
export class StateFile<T> {
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  /** The saved value, or undefined when there is none yet. A corrupt file is an error, not a silent restart. */
  async load(): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new Error(
        `state file ${this.path} is not valid JSON (${(err as Error).message}); delete it to start over`,
        { cause: err },
      );
    }
  }

  /** Saves `value`; saves are applied in call order. */
  save(value: T): Promise<void> {
    const text = JSON.stringify(value, null, 2) + '\n';
    const next = this.writing.then(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.${process.pid}.tmp`;
      await writeFile(tmp, text);
      await rename(tmp, this.path);
    });
    this.writing = next.catch(() => undefined);
    return next;
  }
}

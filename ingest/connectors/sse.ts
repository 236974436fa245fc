/** One server-sent event: `event:` name (default `message`) and its `data:` lines joined by `\n`. */
export interface SseFrame {
  event: string;
  data: string;
}

/**
 * Incremental parser of a `text/event-stream` body (the WHATWG rules, minus `id:` and `retry:`,
 * which Mastodon does not send): feed it text as it arrives, split anywhere, and take the complete
 * frames. Comment lines (`:thump`, Mastodon's heartbeat) and frames without data yield nothing.
 */
export class SseParser {
  private rest = '';
  private event = '';
  private data: string[] = [];
  /** Characters of the data lines of the frame being read (a frame ends at a blank line). */
  private dataChars = 0;

  push(text: string): SseFrame[] {
    const frames: SseFrame[] = [];
    const buffer = this.rest + text;
    let start = 0;
    for (;;) {
      const nl = nextLineBreak(buffer, start);
      if (nl === -1) break;
      // A lone \r at the very end may be the first half of \r\n: wait for the next chunk.
      if (buffer[nl] === '\r' && nl === buffer.length - 1) break;
      const line = buffer.slice(start, nl);
      start = nl + (buffer[nl] === '\r' && buffer[nl + 1] === '\n' ? 2 : 1);
      if (line === '') {
        if (this.data.length > 0) frames.push({ event: this.event || 'message', data: this.data.join('\n') });
        this.event = '';
        this.data = [];
        this.dataChars = 0;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') this.event = value;
      else if (field === 'data') {
        this.data.push(value);
        this.dataChars += value.length + 1;
      }
    }
    this.rest = buffer.slice(start);
    return frames;
  }

  /**
   * Characters held back: the unfinished frame's data lines and the unfinished line. A caller can
   * bound it against a hostile server (many short data lines and never a blank one included).
   */
  get buffered(): number {
    return this.rest.length + this.dataChars;
  }
}

function nextLineBreak(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 10 || c === 13) return i;
  }
  return -1;
}

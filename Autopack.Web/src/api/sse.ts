import { auth } from './client';

export interface SseEvent { id: number; event: string; data: unknown }

/**
 * Incremental Server-Sent Events parser: feed it chunks as they arrive (split anywhere), get whole events.
 * Comment lines (": ping") are heartbeats and produce nothing.
 */
export class SseParser {
  private buffer = '';
  private id = 0;
  private event = 'message';
  private data: string[] = [];

  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const out: SseEvent[] = [];
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, '');
      this.buffer = this.buffer.slice(newline + 1);
      if (line === '') {
        if (this.data.length > 0) {
          const raw = this.data.join('\n');
          let data: unknown = raw;
          try { data = JSON.parse(raw); } catch { /* plain text */ }
          out.push({ id: this.id, event: this.event, data });
        }
        this.event = 'message';
        this.data = [];
      } else if (line.startsWith(':')) {
        continue;
      } else {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') this.id = Number(value);
        else if (field === 'event') this.event = value;
        else if (field === 'data') this.data.push(value);
      }
    }
    return out;
  }
}

/**
 * Follows a run's live events over fetch (EventSource cannot send the Authorization header), reconnecting
 * with Last-Event-ID after a drop so nothing is missed or repeated. Sequences are gapless, so an id past
 * lastId + 1 means events were lost on the way (a proxy, a server buffer): it reconnects at once with
 * Last-Event-ID and the server replays the missing range. A second gap at the same place waits like a drop,
 * so a misbehaving server cannot make it spin. Returns a function that stops it.
 */
export function followRunEvents(runId: string, onEvent: (e: SseEvent) => void, onStatus?: (s: 'live' | 'reconnecting') => void,
  retryMs = 1000): () => void {
  let lastId = 0;
  let gapAt = -1;
  let stopped = false;
  const controller = new AbortController();
  (async () => {
    while (!stopped) {
      let gap = false;
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (auth.token) headers.authorization = `Bearer ${auth.token}`;
        if (lastId > 0) headers['last-event-id'] = String(lastId);
        const response = await fetch(`/api/runs/${encodeURIComponent(runId)}/events`, { headers, signal: controller.signal });
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        onStatus?.('live');
        const parser = new SseParser();
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        read: for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const e of parser.push(value)) {
            if (e.id <= lastId) continue;
            if (e.id > lastId + 1) { gap = true; await reader.cancel(); break read; }
            lastId = e.id;
            onEvent(e);
          }
        }
      } catch {
        if (stopped) return;
      }
      onStatus?.('reconnecting');
      const retryAtOnce = gap && gapAt !== lastId;
      gapAt = gap ? lastId : -1;
      if (!retryAtOnce) await new Promise((r) => setTimeout(r, retryMs));
    }
  })();
  return () => { stopped = true; controller.abort(); };
}

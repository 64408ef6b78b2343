import { afterEach, describe, expect, it, vi } from 'vitest';
import { followRunEvents, type SseEvent } from '../api/sse';

/** A text/event-stream response with these events; it stays open (like a live stream) unless `end` is set. */
function stream(ids: number[], end: boolean): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(': connected\n\n'));
      for (const id of ids) controller.enqueue(encoder.encode(`id: ${id}\nevent: usage\ndata: {"n":${id}}\n\n`));
      if (end) controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

afterEach(() => vi.unstubAllGlobals());

describe('followRunEvents', () => {
  it('reconnects at once with Last-Event-ID when a sequence number is skipped, and delivers each event once in order', async () => {
    const seen: SseEvent[] = [];
    const lastEventIds: (string | undefined)[] = [];
    const responses = [stream([1, 2, 4, 5], false), stream([3, 4, 5, 6], false)];
    vi.stubGlobal('fetch', vi.fn(async (_url: string, init: RequestInit) => {
      lastEventIds.push((init.headers as Record<string, string>)['last-event-id']);
      return responses.shift() ?? new Promise<Response>(() => {});
    }));

    // A one-minute retry delay: only the immediate gap reconnect can bring events 3-6 within the test.
    const stop = followRunEvents('r1', (e) => seen.push(e), undefined, 60_000);
    await vi.waitFor(() => expect(seen.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6]), { timeout: 2_000 });
    stop();

    expect(lastEventIds).toEqual([undefined, '2']);
  });

  it('waits before retrying when the server leaves the same gap twice', async () => {
    const seen: number[] = [];
    const calls = vi.fn(async () => stream([1, 3], false));
    vi.stubGlobal('fetch', calls);
    const stop = followRunEvents('r1', (e) => seen.push(e.id), undefined, 60_000);
    await vi.waitFor(() => expect(calls).toHaveBeenCalledTimes(2), { timeout: 2_000 });
    await new Promise((r) => setTimeout(r, 200));
    stop();

    expect(calls).toHaveBeenCalledTimes(2); // the second identical gap waits for the retry delay instead of spinning
    expect(seen).toEqual([1]);
  });
});

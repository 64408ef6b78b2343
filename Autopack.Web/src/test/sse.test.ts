import { describe, expect, it } from 'vitest';
import { SseParser } from '../api/sse';

describe('SseParser', () => {
  it('assembles events split at any byte and ignores heartbeats', () => {
    const p = new SseParser();
    const stream = ': connected\n\nid: 1\nevent: run.created\ndata: {"run_id":"r"}\n\n: ping\n\nid: 2\nevent: phase.state\ndata: {"phase_id":"P1","state":"EXECUTING"}\n\n';
    const events = [];
    for (let i = 0; i < stream.length; i += 7) events.push(...p.push(stream.slice(i, i + 7)));
    expect(events.map((e) => [e.id, e.event])).toEqual([[1, 'run.created'], [2, 'phase.state']]);
    expect(events[1].data).toEqual({ phase_id: 'P1', state: 'EXECUTING' });
  });

  it('keeps an incomplete event until its blank line arrives', () => {
    const p = new SseParser();
    expect(p.push('id: 5\nevent: run.state\ndata: {"state":"RUNNING"}\n')).toEqual([]);
    expect(p.push('\n')).toHaveLength(1);
  });
});

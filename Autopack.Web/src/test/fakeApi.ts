import { afterEach, beforeEach, vi } from 'vitest';
import { cleanup } from '@testing-library/react';

/** The API as the dashboard sees it: fetch answers with the status and the JSON body (or raw text: an event stream) a test's handler picks. */
export type Handler = (url: string, init?: RequestInit) => { status: number; body?: unknown; text?: string };

export const fakeApi = {
  handler: (() => ({ status: 500 })) as Handler,
  calls: [] as { url: string; init?: RequestInit }[],
};

beforeEach(() => {
  fakeApi.calls.length = 0;
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    fakeApi.calls.push({ url, init });
    const r = fakeApi.handler(url, init);
    return new Response(r.text ?? (r.body === undefined ? '' : JSON.stringify(r.body)), { status: r.status });
  }));
});
afterEach(() => { cleanup(); vi.unstubAllGlobals(); localStorage.clear(); history.replaceState(null, '', '/'); });

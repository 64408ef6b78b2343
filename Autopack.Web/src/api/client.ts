import { auth } from './auth';
import type { Problem } from './types';

// Re-exported for the modules that read the token with the client (sse.ts).
export { auth };

/** Raised for every non-2xx answer, carrying the API's problem JSON (code, field errors). */
export class ApiError extends Error {
  constructor(public problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
  }
}

/** Calls the API through the front door: /api/... (the proxy strips /api except for /api/auth). */
export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (init.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
  if (auth.token) headers.set('authorization', `Bearer ${auth.token}`);
  const response = await fetch(path.startsWith('/health') ? path : `/api${path}`, { ...init, headers });
  // The token expired or was revoked: sign out, which shows the sign-in page (a refused sign-in is only an error).
  if (response.status === 401 && !path.startsWith('/auth/login')) auth.set(null);
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError({ status: response.status, ...(body ?? {}) });
  return body as T;
}

export const post = <T>(path: string, body?: unknown) => api<T>(path, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) });
export const put = <T>(path: string, body: unknown) => api<T>(path, { method: 'PUT', body: JSON.stringify(body) });

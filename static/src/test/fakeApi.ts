import { vi } from 'vitest';

export interface RecordedCall {
  method: string;
  path: string;
  search: string;
  headers: Record<string, string>;
  body: BodyInit | null | undefined;
}

type Handler = ((call: RecordedCall) => unknown) | Response | object | string | number | boolean | null;

export function jsonResponse(status: number, body?: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

/**
 * A fetch stand-in that routes "METHOD /api/path" to answers and records every call. An answer is
 * a Response, any other value (sent as 200 JSON), or a function of the call returning either.
 * Unknown routes answer 404.
 */
export function fakeFetch(routes: Record<string, Handler>) {
  const calls: RecordedCall[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' ? input : input.toString(), 'http://localhost');
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => (headers[k.toLowerCase()] = v));
    const call: RecordedCall = { method: init?.method ?? 'GET', path: url.pathname, search: url.search, headers, body: init?.body };
    calls.push(call);
    const key = `${call.method} ${call.path}`;
    if (!(key in routes)) return jsonResponse(404, { error: { kind: 'not_found', message: `no fake for ${call.method} ${call.path}` } });
    const h = routes[key];
    const out = typeof h === 'function' ? await h(call) : h;
    return out instanceof Response ? out.clone() : jsonResponse(200, out);
  });
  return { fetch: fn as unknown as typeof fetch, calls };
}

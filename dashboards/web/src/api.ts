// REST client: the API key, if the server needs one, and JSON reads with errors users can act on.

/**
 * An API key, when the server needs one: given once as `?api_key=` in the page URL, kept for this
 * tab in sessionStorage and taken out of the address bar. REST calls send it as a Bearer header;
 * the WebSocket, which cannot carry headers from a browser, sends it in its URL.
 */
export const API_KEY: string | null = (() => {
  const params = new URLSearchParams(location.search);
  const given = params.get('api_key');
  if (given) {
    sessionStorage.setItem('pulsewatch.apiKey', given);
    params.delete('api_key');
    const query = params.toString();
    history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
  }
  return sessionStorage.getItem('pulsewatch.apiKey');
})();

/** An error the API answered, with its code (`UNKNOWN_BRAND`, `INVALID_RANGE`, …) and status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  get needsKey(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

export async function api(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (API_KEY) headers.set('authorization', `Bearer ${API_KEY}`);
  const res = await fetch(path, { ...init, headers });
  if (res.status === 401 || res.status === 403)
    throw new ApiError(res.status, 'UNAUTHORIZED', 'open this page as /?api_key=<a key with scope read>');
  return res;
}

/** GET `path` as JSON; undefined when the route is not served here (an analysis that does not run). */
export async function getJson<T>(path: string): Promise<T | undefined> {
  const res = await api(path);
  if (res.ok) return (await res.json()) as T;
  const body = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (res.status === 404 && (!body.error || body.error.code === 'NOT_FOUND')) return undefined;
  throw new ApiError(res.status, body.error?.code ?? 'HTTP', body.error?.message ?? res.statusText);
}

export function postJson(path: string, body: unknown): Promise<Response> {
  return api(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** `?from=&to=` of a time range, or nothing for the API's default (the last hour). */
export function rangeQuery(range: { from: number; to: number } | undefined): string {
  return range ? `from=${range.from}&to=${range.to}` : '';
}

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

/**
 * The scope a call needs when the server has API keys (README "API keys"): `read` for what the page
 * reads, `admin` to acknowledge or resolve an alert.
 */
export type Scope = 'read' | 'admin';

/**
 * An error the API answered, with its code (`UNKNOWN_BRAND`, `INVALID_RANGE`, …) and status; for a
 * 403, the scope the key lacks.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly scope?: string,
  ) {
    super(message);
  }
  /** 401: no key, or one the server does not know; 403: a key without the scope the call needs. */
  get needsKey(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/**
 * A call to the API with the page's key. A 401 (no key, or an unknown one) and a 403 (the key lacks
 * the scope: the server names it in `WWW-Authenticate`, else `scope`) throw an ApiError that says
 * which key to open the page with.
 */
export async function api(path: string, init: RequestInit = {}, scope: Scope = 'read'): Promise<Response> {
  const headers = new Headers(init.headers);
  if (API_KEY) headers.set('authorization', `Bearer ${API_KEY}`);
  const res = await fetch(path, { ...init, headers });
  if (res.status === 401) {
    const problem = API_KEY ? 'the API key is not known to the server' : 'no API key';
    throw new ApiError(
      401,
      'UNAUTHORIZED',
      `${problem}: open this page as /?api_key=<a key with scope ${scope}>`,
    );
  }
  if (res.status === 403) {
    const needs = /scope="([^"]+)"/.exec(res.headers.get('www-authenticate') ?? '')?.[1] ?? scope;
    throw new ApiError(
      403,
      'FORBIDDEN',
      `the API key lacks scope ${needs}, which this needs: open this page as /?api_key=<a key with scope ${needs}>`,
      needs,
    );
  }
  return res;
}

/** The message of an error answer (`{"error":{"code","message"}}`), else its status. */
export async function errorOf(res: Response): Promise<ApiError> {
  const body = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  return new ApiError(
    res.status,
    body.error?.code ?? 'HTTP',
    body.error?.message ?? `${res.status} ${res.statusText}`,
  );
}

/** GET `path` as JSON; undefined when the route is not served here (an analysis that does not run). */
export async function getJson<T>(path: string): Promise<T | undefined> {
  const res = await api(path);
  if (res.ok) return (await res.json()) as T;
  const err = await errorOf(res);
  if (res.status === 404 && (err.code === 'HTTP' || err.code === 'NOT_FOUND')) return undefined;
  throw err;
}

/** POSTs `body` as JSON to a route that needs `scope`; a refused key throws (see `api`). */
export function postJson(path: string, body: unknown, scope: Scope): Promise<Response> {
  return api(
    path,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    },
    scope,
  );
}

/** `?from=&to=` of a time range, or nothing for the API's default (the last hour). */
export function rangeQuery(range: { from: number; to: number } | undefined): string {
  return range ? `from=${range.from}&to=${range.to}` : '';
}

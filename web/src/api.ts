// REST calls to the server (sign-up, sign-in, rooms). The auth cookie is HttpOnly: the page never
// sees the token, the browser sends the cookie (credentials: "include", so it also works when
// the page is served from another allowed origin).

import { noteServerDate } from "./ui";

/** Where the server is: the page's own origin unless <meta name="vg-api"> names another. */
export const API_ORIGIN = (() => {
  const configured = document.querySelector<HTMLMetaElement>('meta[name="vg-api"]')?.content;
  return (configured || location.origin).replace(/\/+$/, "");
})();

/** The contract's error `{code, message}`, plus our own `network` and `timeout`. */
export class ApiError extends Error {
  constructor(
    public code: string,
    message: string,
    public status = 0,
  ) {
    super(message);
  }
}

/** `signal` cancels the call (a search overtaken by newer typing): it then fails with the code
 * `aborted`, which callers drop silently. */
export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(API_ORIGIN + path, {
      method,
      credentials: "include",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch {
    if (signal?.aborted) throw new ApiError("aborted", "cancelled");
    // Offline, server down, or (from a page on an origin the server does not allow) CORS.
    throw new ApiError("network", "network error");
  }
  noteServerDate(res.headers.get("date"));
  if (res.status === 204) return undefined as T;
  let data: unknown = null;
  try {
    data = await res.json();
  } catch {
    if (signal?.aborted) throw new ApiError("aborted", "cancelled");
    // Not JSON (a proxy's error page): the status alone speaks.
  }
  if (!res.ok) {
    const e = (data as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(e?.code ?? `http_${res.status}`, e?.message ?? `HTTP ${res.status}`, res.status);
  }
  return data as T;
}

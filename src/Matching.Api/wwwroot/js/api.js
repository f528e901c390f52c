// Calls to the matching API with the signed-in key. The key lives in this tab's session storage
// and travels only in the X-Api-Key header, never in a URL.

const keyName = 'matching.intake.apiKey';

export const session = {
  get key() { return sessionStorage.getItem(keyName); },
  signIn(key) { sessionStorage.setItem(keyName, key); },
  signOut() { sessionStorage.removeItem(keyName); },
};

/**
 * Sends a request and returns { ok, status, data } on success or { ok: false, status, problem, retryAfter }
 * with the RFC 9457 problem the API answered (status 0 when the API could not be reached).
 */
export async function call(method, path, body, key = session.key) {
  const headers = { Accept: 'application/json' };
  if (key) headers['X-Api-Key'] = key;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'omit',
    });
  } catch {
    return { ok: false, status: 0, problem: { title: 'The service could not be reached', detail: 'Check the connection and try again.' } };
  }

  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (response.ok) return { ok: true, status: response.status, data };
  return {
    ok: false,
    status: response.status,
    problem: data ?? { title: response.statusText },
    retryAfter: response.headers.get('Retry-After'),
  };
}

/** A sentence for a failure that is not about one field. */
export function describe(failure) {
  const p = failure.problem ?? {};
  switch (failure.status) {
    case 0: return `${p.title}. ${p.detail}`;
    case 401: return 'Your key was not accepted: it may have been withdrawn. Sign out and sign in again with a current intake key.';
    case 403: return 'Your key\'s role does not allow this. Opening stored shortlists and recording feedback need an intake key.';
    case 429: return `Too many requests from this key just now. Wait ${failure.retryAfter ?? 'a few'} second(s) and try again; nothing you entered was lost.`;
    default:
      if (failure.status >= 500) return `The service had a problem (${failure.status}): ${p.detail ?? p.title ?? ''} Nothing was changed; try again.`;
      return [p.title, p.detail].filter(Boolean).join(': ') || `The request failed (${failure.status}).`;
  }
}

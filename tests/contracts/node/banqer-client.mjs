// A Banqer client in Node written by the project, following the documented behaviour: the token
// cached until 80 % of its lifetime, one refresh after a 401, 429 honouring Retry-After (seconds or
// an HTTP date; 5 s when absent or unreadable), 5xx backoff min(2**attempt + random(), 30) s,
// maxAttempts per call counted like the vendor's client, errors carrying {message,
// details[0].reason}, and pageToken paging that refuses a token it has already sent.
// Global fetch, setTimeout and Date only: no dependencies.

import { STATUS_CODES } from 'node:http';

export class BanqerError extends Error {
  constructor({ status, reason, message }) {
    super(`[${status} ${reason}] ${message}`);
    this.name = 'BanqerError';
    this.status = status;
    this.reason = reason;
    this.message = message;
  }
}

export class BanqerAuthError extends BanqerError {
  constructor(fields) {
    super(fields);
    this.name = 'BanqerAuthError';
  }
}

export class PaginationLoopError extends BanqerError {
  constructor(token) {
    super({ status: null, reason: 'PAGINATION_LOOP', message: `the server repeated the page token ${token}` });
    this.name = 'PaginationLoopError';
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Seconds to wait for a Retry-After value (null: absent), never negative. */
export function retryAfterSeconds(value, nowMs, fallback = 5) {
  if (value === null || value === undefined) return fallback;
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return Math.max(0, Number(text));
  const when = Date.parse(text);
  if (!/[a-z]/i.test(text) || Number.isNaN(when)) return fallback;
  return Math.max(0, (when - nowMs) / 1000);
}

async function errorFrom(response, ErrorType = BanqerError) {
  let body = null;
  try {
    body = JSON.parse(await response.text());
  } catch {
    body = null;
  }
  const first = Array.isArray(body?.details) ? body.details[0] : undefined;
  const reason = typeof first?.reason === 'string' ? first.reason : 'UNKNOWN';
  const message =
    body !== null && typeof body === 'object' && typeof body.message === 'string'
      ? body.message
      : response.statusText || STATUS_CODES[response.status] || `HTTP ${response.status}`;
  return new ErrorType({ status: response.status, reason, message });
}

export class BanqerClient {
  /** How many times one call may fetch a new token after a 401. */
  maxRefreshes = 1;

  constructor({ apiBase, authBase, tenant, clientId, clientSecret, maxAttempts = 3, random = Math.random, cap = 30 }) {
    this.apiBase = apiBase.replace(/\/$/, '');
    this.tokenUrl = `${authBase.replace(/\/$/, '')}/realms/${encodeURIComponent(tenant)}/protocol/openid-connect/token`;
    this.form = { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret };
    this.maxAttempts = maxAttempts;
    this.random = random;
    this.cap = cap;
    this.token = null;
    this.renewAt = 0;
  }

  async accessToken() {
    if (this.token !== null && Date.now() < this.renewAt) return this.token;
    let response;
    try {
      response = await fetch(this.tokenUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(this.form),
      });
    } catch (error) {
      throw new BanqerAuthError({ status: null, reason: 'TRANSPORT', message: String(error?.message ?? error) });
    }
    if (!response.ok) throw await errorFrom(response, BanqerAuthError);
    const body = await response.json().catch(() => null);
    if (typeof body?.access_token !== 'string') {
      throw new BanqerAuthError({ status: response.status, reason: 'UNKNOWN', message: 'token answer without access_token' });
    }
    const lifetime = Number(body.expires_in) || 0;
    this.token = body.access_token;
    this.renewAt = Date.now() + lifetime * 0.8 * 1000;
    return this.token;
  }

  /** Milliseconds to wait before retrying after a 429. */
  rateLimitWait(response) {
    return Math.min(retryAfterSeconds(response.headers.get('Retry-After'), Date.now()), 120) * 1000;
  }

  /** Milliseconds to wait before retrying after a 5xx on ``attempt``. */
  backoffWait(attempt) {
    return Math.min(2 ** attempt + this.random(), this.cap) * 1000;
  }

  async get(path, params = {}) {
    const url = new URL(this.apiBase + path);
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    let attempt = 0;
    let refreshed = 0;
    for (;;) {
      attempt += 1;
      const token = await this.accessToken();
      let response;
      try {
        response = await fetch(url, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } });
      } catch (error) {
        throw new BanqerError({ status: null, reason: 'TRANSPORT', message: String(error?.message ?? error) });
      }
      if (response.status === 401 && refreshed < this.maxRefreshes) {
        refreshed += 1;
        this.token = null;
        continue;
      }
      if (response.status === 429 && attempt < this.maxAttempts) {
        await sleep(this.rateLimitWait(response));
        continue;
      }
      if (response.status >= 500 && response.status < 600 && attempt < this.maxAttempts) {
        await sleep(this.backoffWait(attempt));
        continue;
      }
      if (!response.ok) throw await errorFrom(response);
      return response.json();
    }
  }

  async *paginate(path, params = {}, { pageSize = 200, key = undefined } = {}) {
    const sent = new Set();
    let pageToken = '';
    for (;;) {
      sent.add(pageToken);
      const body = await this.get(path, { ...params, pageSize, pageToken });
      const arrayKey = key ?? Object.keys(body).find((name) => Array.isArray(body[name]));
      yield* arrayKey === undefined ? [] : body[arrayKey];
      pageToken = body.nextPageToken || '';
      if (!pageToken) return;
      if (sent.has(pageToken)) throw new PaginationLoopError(pageToken);
    }
  }
}

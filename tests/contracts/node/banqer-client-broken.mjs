// Deliberately broken variants of the project's Node Banqer client, one defect each, so the test
// suite can show that the contract catches them through the driver.

import { BanqerClient } from './banqer-client.mjs';

/** Fetches a new token after every 401 of a call, not just the first. */
export class RefreshesTwiceClient extends BanqerClient {
  maxRefreshes = 2;
}

/** Retries a 429 at once, whatever Retry-After says. */
export class IgnoresRetryAfterClient extends BanqerClient {
  rateLimitWait() {
    return 0;
  }
}

/** Stops after the first page of a collection. */
export class FirstPageOnlyClient extends BanqerClient {
  async *paginate(path, params = {}, options = {}) {
    const body = await this.get(path, { ...params, pageSize: 200, pageToken: '' });
    const key = options.key ?? Object.keys(body).find((name) => Array.isArray(body[name]));
    yield* key === undefined ? [] : body[key];
  }
}

export const BROKEN = {
  'refreshes-twice': RefreshesTwiceClient,
  'ignores-retry-after': IgnoresRetryAfterClient,
  'first-page-only': FirstPageOnlyClient,
};

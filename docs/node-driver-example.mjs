// banqer-driver.mjs: your Node Banqer client under the specmock driver protocol.
//   npm install --save-dev @sinonjs/fake-timers
//   specmock contract --api banqer -- node banqer-driver.mjs
import { BanqerClient, BanqerError } from './banqer-client.mjs'; // your client and its error class

const { serveDriver } = await import(process.env.SPECMOCK_DRIVER_KIT);

serveDriver({
  errorTypes: [BanqerError], // every failure must be one of these
  make: (c) => new BanqerClient({ apiBase: c.api_base, authBase: c.auth_base, tenant: c.tenant, clientId: c.client_id,
    clientSecret: c.client_secret, maxAttempts: c.max_attempts, random: c.random }), // a new client, empty token cache
  call: (client, operation, { path }) => client.get(path), // the parsed JSON body
  list: async (client, { path, params }) => {
    const items = [];
    for await (const item of client.paginate(path, params)) items.push(item); // every item of every page
    return items;
  },
});

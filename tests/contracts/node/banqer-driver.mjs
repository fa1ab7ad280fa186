// Runs the project's Node Banqer client under the specmock driver protocol:
//   specmock contract --api banqer -- node banqer-driver.mjs [--broken NAME]
// NAME picks one of the deliberately broken variants (banqer-client-broken.mjs).

import { BanqerClient, BanqerError } from './banqer-client.mjs';
import { BROKEN } from './banqer-client-broken.mjs';

const { serveDriver } = await import(process.env.SPECMOCK_DRIVER_KIT);

const flag = process.argv.indexOf('--broken');
const Client = flag === -1 ? BanqerClient : BROKEN[process.argv[flag + 1]];
if (Client === undefined) throw new Error(`unknown broken variant ${process.argv[flag + 1]}`);

serveDriver({
  errorTypes: [BanqerError],
  make: (c) =>
    new Client({
      apiBase: c.api_base,
      authBase: c.auth_base,
      tenant: c.tenant,
      clientId: c.client_id,
      clientSecret: c.client_secret,
      maxAttempts: c.max_attempts,
      random: c.random,
    }),
  call: (client, operation, { path }) => client.get(path),
  list: async (client, { path, params }) => {
    const items = [];
    for await (const item of client.paginate(path, params, { key: path.split('/').pop() })) items.push(item);
    return items;
  },
});

// A driver around a toy client that shows what the kit does: virtual time, the seeded random
// source, typed and untyped errors, a client that logs to stdout.

const { serveDriver } = await import(process.env.SPECMOCK_DRIVER_KIT);

class ToyError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
    this.reasonCode = 'TOY';
  }
}

serveDriver({
  errorTypes: [ToyError],
  list: (client, args) => [args],
  make: (config) => ({ config }),
  call: async (client, operation, args) => {
    const { config } = client;
    switch (operation) {
      case 'config': {
        const { random, ...rest } = config;
        return { ...rest, random: typeof random };
      }
      case 'draws':
        return Array.from({ length: args.n }, () => config.random());
      case 'sleeps': {
        // One wait after another, as a retry loop does; each resumes when the suite says so.
        const seen = [];
        for (const seconds of args.seconds) {
          await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
          seen.push(Date.now());
        }
        return seen;
      }
      case 'spin':
        // A retry loop that never ends: the suite stops it after FakeClock.MAX_SLEEPS waits.
        for (;;) await new Promise((resolve) => setTimeout(resolve, 1000));
      case 'now':
        return Date.now();
      case 'log':
        console.log('a client that talks on stdout');
        return 'logged';
      case 'throw-typed':
        throw new ToyError('toy failure', 418);
      case 'throw-untyped':
        throw new TypeError("Cannot read properties of undefined (reading 'x')");
      default:
        return { echo: operation, args };
    }
  },
});

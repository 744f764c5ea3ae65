import net from 'node:net';

/**
 * Tests never reach the internet (DESIGN rule 8): any socket to a host other than loopback fails the
 * test that opened it. Local services (PostgreSQL, Redis, NATS, test servers) are on 127.0.0.1.
 */
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);
const original = net.Socket.prototype.connect;

type ConnectArgs = Parameters<typeof original>;

function hostOf(args: unknown[]): string | undefined {
  const [first, second] = args as [unknown, unknown];
  if (typeof first === 'object' && first !== null) {
    const o = first as { host?: string; path?: string };
    if (o.path) return undefined; // unix socket
    return o.host ?? 'localhost';
  }
  if (typeof first === 'number') return typeof second === 'string' ? second : 'localhost';
  return undefined; // path string: unix socket
}

net.Socket.prototype.connect = function patchedConnect(this: net.Socket, ...args: ConnectArgs) {
  const host = hostOf(args);
  if (host !== undefined && !LOOPBACK.has(host)) {
    throw new Error(`unexpected outbound network connection to ${host} in a test`);
  }
  return original.apply(this, args);
} as typeof original;

import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { RealtimeHub } from './hub.js';
import { MAX_TOKEN_LENGTH } from './protocol.js';

/**
 * The WebSocket endpoint. The route is public at the HTTP level because browsers cannot set headers on
 * a WebSocket and tokens in URLs end up in access logs: the credential is the first message (the hub
 * closes with 4401 without it). A credential sent in a header anyway is still checked by the
 * authentication hook (an invalid one is a 401 before the upgrade).
 */
export function realtimeRoutes(hub: RealtimeHub, path: string) {
  return async (app: FastifyInstance): Promise<void> => {
    // Before the plugin's own preClose (which closes sockets without a code): clients get 1001 and
    // know to reconnect elsewhere and resume.
    app.addHook('preClose', async () => hub.close());
    await app.register(websocket, {
      // The largest client message is an auth frame; anything far beyond is not ours (ws closes 1009).
      options: { maxPayload: MAX_TOKEN_LENGTH + 1024 },
    });
    app.get(path, { websocket: true, config: { auth: 'public' }, schema: { hide: true } }, (socket) => {
      hub.accept(socket);
    });
  };
}

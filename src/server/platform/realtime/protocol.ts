import { z } from 'zod';
import type { ErrorCode } from '../errors.js';

/**
 * The WebSocket protocol at /crm/v1/ws (docs/api.md "Real time"; ADR 0018). JSON text frames, one
 * message each. The web client is written against exactly these shapes: change them only together.
 *
 * Client → server: `auth` (first, within the auth timeout), `subscribe`, `unsubscribe`, `ping`.
 * Server → client: `ready`, `subscribed`, `event`, `resync`, `pong`, `error`.
 */

export const MAX_TOKEN_LENGTH = 4096;
export const MAX_ROOM_LENGTH = 200;
export const MAX_CURSOR_LENGTH = 100;

/** `kind:id`: lower-case kind, an id of letters, digits, `-` and `_` (UUIDs for pipelines). */
export const ROOM_RE = /^([a-z][a-z_]{0,30}):([A-Za-z0-9_-]{1,100})$/;

// Unknown extra members are ignored (z.object strips them), so a client may add its own correlation
// fields without being refused.
export const clientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auth'), token: z.string().min(1).max(MAX_TOKEN_LENGTH) }),
  z.object({
    type: z.literal('subscribe'),
    room: z.string().min(1).max(MAX_ROOM_LENGTH),
    since: z.string().min(1).max(MAX_CURSOR_LENGTH).optional(),
  }),
  z.object({ type: z.literal('unsubscribe'), room: z.string().min(1).max(MAX_ROOM_LENGTH) }),
  z.object({ type: z.literal('ping') }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

export type ServerFrame =
  | { type: 'ready'; workspaceId: string; userId: string | null }
  | { type: 'subscribed'; room: string; cursor: string }
  | { type: 'unsubscribed'; room: string }
  | { type: 'event'; room: string; cursor: string; event: unknown }
  | { type: 'resync'; room: string }
  | { type: 'pong' }
  | { type: 'error'; code: ErrorCode; message: string; room?: string };

/**
 * Close codes (4000–4999 are the application's). A client reconnects after any of them except 4401
 * with a token it cannot refresh, and resumes each room with `since` = the last cursor it saw.
 */
export const CLOSE = {
  /** Server shutting down: reconnect (to another process) and resume. */
  goingAway: 1001,
  /** No or invalid `auth` within the timeout, or the token expired: get a fresh token, reconnect. */
  unauthenticated: 4401,
  /** The client read too slowly and its send buffer overflowed: reconnect and resume. */
  slowConsumer: 4408,
  /** Too many frames too fast. */
  tooManyMessages: 4429,
} as const;

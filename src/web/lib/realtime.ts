import { useEffect, useRef } from 'react';
import { create } from 'zustand';
import { sessionStore } from '../app/session.js';

/**
 * The live channel (`/crm/v1/ws`). One socket per tab, authenticated by its first message (never a
 * token in the URL: URLs end up in logs). Rooms are re-subscribed after a reconnect with the last
 * cursor seen, so the server replays what was missed, or answers `resync` and the page refetches.
 * Protocol: docs/api.md "Real time".
 */

export interface RealtimeEvent {
  id: string;
  type: string;
  occurredAt: string;
  dealId: string;
  pipelineId: string;
  stageId?: string;
  version?: number;
  actor: { type: string; id: string };
  data: Record<string, unknown>;
}

type ServerFrame =
  | { type: 'ready'; workspaceId: string; userId: string }
  | { type: 'subscribed'; room: string; cursor: string }
  | { type: 'event'; room: string; cursor: string; event: RealtimeEvent }
  | { type: 'resync'; room: string }
  | { type: 'pong' }
  | { type: 'error'; code: string; message: string };

interface Listener {
  onEvent(e: RealtimeEvent): void;
  onResync(): void;
}

export const useRealtimeStatus = create<{ status: 'connecting' | 'live' | 'offline' }>()(() => ({
  status: 'connecting',
}));

class RealtimeClient {
  #socket: WebSocket | null = null;
  #ready = false;
  #rooms = new Map<string, { listeners: Set<Listener>; cursor: string | null }>();
  #retry = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  #stopped = true;

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    void this.#open();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#socket?.close(1000);
    this.#socket = null;
    this.#ready = false;
  }

  subscribe(room: string, listener: Listener): () => void {
    let entry = this.#rooms.get(room);
    if (!entry) {
      entry = { listeners: new Set(), cursor: null };
      this.#rooms.set(room, entry);
      if (this.#ready) this.#send({ type: 'subscribe', room });
    }
    entry.listeners.add(listener);
    return () => {
      const e = this.#rooms.get(room);
      if (!e) return;
      e.listeners.delete(listener);
      if (e.listeners.size === 0) {
        this.#rooms.delete(room);
        if (this.#ready) this.#send({ type: 'unsubscribe', room });
      }
    };
  }

  async #open(): Promise<void> {
    const token = await sessionStore.getState().validAccessToken();
    if (this.#stopped) return;
    if (!token) return this.#scheduleReconnect();
    useRealtimeStatus.setState({ status: 'connecting' });
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/crm/v1/ws`;
    const socket = new WebSocket(url);
    this.#socket = socket;
    socket.onopen = () => socket.send(JSON.stringify({ type: 'auth', token }));
    socket.onmessage = (m) => this.#receive(JSON.parse(String(m.data)) as ServerFrame);
    socket.onclose = () => {
      if (this.#socket !== socket) return;
      this.#ready = false;
      this.#socket = null;
      if (this.#heartbeat) clearInterval(this.#heartbeat);
      useRealtimeStatus.setState({ status: 'offline' });
      if (!this.#stopped) this.#scheduleReconnect();
    };
  }

  #scheduleReconnect(): void {
    const delay = Math.min(10_000, 500 * 2 ** this.#retry) * (0.8 + Math.random() * 0.4);
    this.#retry += 1;
    this.#timer = setTimeout(() => void this.#open(), delay);
  }

  #receive(frame: ServerFrame): void {
    switch (frame.type) {
      case 'ready':
        this.#ready = true;
        this.#retry = 0;
        useRealtimeStatus.setState({ status: 'live' });
        for (const [room, entry] of this.#rooms)
          this.#send({ type: 'subscribe', room, ...(entry.cursor ? { since: entry.cursor } : {}) });
        this.#heartbeat = setInterval(() => this.#send({ type: 'ping' }), 25_000);
        break;
      case 'subscribed': {
        const entry = this.#rooms.get(frame.room);
        if (entry && !entry.cursor) entry.cursor = frame.cursor;
        else if (entry) entry.cursor = frame.cursor;
        break;
      }
      case 'event': {
        const entry = this.#rooms.get(frame.room);
        if (!entry) break;
        entry.cursor = frame.cursor;
        for (const l of entry.listeners) l.onEvent(frame.event);
        break;
      }
      case 'resync':
        for (const l of this.#rooms.get(frame.room)?.listeners ?? []) l.onResync();
        break;
      case 'error':
        console.warn('realtime:', frame.code, frame.message);
        break;
      default:
        break;
    }
  }

  #send(frame: Record<string, unknown>): void {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(frame));
  }
}

export const realtime = new RealtimeClient();

/** Subscribes the component to a room for its lifetime; handlers may change without re-subscribing. */
export function useRoom(
  room: string | null,
  onEvent: (e: RealtimeEvent) => void,
  onResync: () => void,
): void {
  const handlers = useRef({ onEvent, onResync });
  handlers.current = { onEvent, onResync };
  useEffect(() => {
    if (!room) return;
    return realtime.subscribe(room, {
      onEvent: (e) => handlers.current.onEvent(e),
      onResync: () => handlers.current.onResync(),
    });
  }, [room]);
}

import { createStore, useStore } from 'zustand';
import {
  getCrmV1Me,
  postCrmV1AuthLogin,
  postCrmV1AuthLogout,
  postCrmV1AuthRefresh,
  postCrmV1AuthSignup,
  postCrmV1AuthSwitch,
  postCrmV1InvitationsAccept,
} from '../../shared/api-client/sdk.gen.js';
import type {
  GetCrmV1MeResponse,
  PostCrmV1AuthLoginResponse,
  PostCrmV1AuthSignupData,
  PostCrmV1InvitationsAcceptData,
} from '../../shared/api-client/types.gen.js';
import { call } from '../lib/api.js';

/**
 * The signed-in session. The access token lives in memory only; the refresh token is kept in
 * localStorage so a reload stays signed in (it is rotated on every use, and a replayed one revokes the
 * whole family server-side). Refreshes are single-flight: parallel requests share one rotation.
 */

export type Me = GetCrmV1MeResponse;
type Tokens = PostCrmV1AuthLoginResponse['tokens'];

const REFRESH_KEY = 'crm.refresh';

export interface SessionState {
  status: 'loading' | 'anonymous' | 'authenticated';
  accessToken: string | null;
  accessExpiresAt: number;
  me: Me | null;
  bootstrap(): Promise<void>;
  login(email: string, password: string): Promise<void>;
  signup(body: PostCrmV1AuthSignupData['body']): Promise<void>;
  acceptInvitation(body: PostCrmV1InvitationsAcceptData['body']): Promise<void>;
  logout(): Promise<void>;
  switchWorkspace(workspaceId: string): Promise<void>;
  refresh(): Promise<string | null>;
  validAccessToken(): Promise<string | null>;
  reloadMe(): Promise<void>;
}

let inflight: Promise<string | null> | null = null;

// The SDK calls below go through api.ts's fetch wrapper (auth paths skip its token logic). The two
// modules import each other, but only use each other inside functions, after both are loaded.
const unwrap = call;

export const sessionStore = createStore<SessionState>()((set, get) => {
  const adopt = (tokens: Tokens) => {
    localStorage.setItem(REFRESH_KEY, tokens.refresh_token);
    set({ accessToken: tokens.access_token, accessExpiresAt: Date.now() + tokens.expires_in * 1000 });
  };
  const signedOut = () => {
    localStorage.removeItem(REFRESH_KEY);
    set({ status: 'anonymous', accessToken: null, accessExpiresAt: 0, me: null });
  };
  return {
    status: 'loading',
    accessToken: null,
    accessExpiresAt: 0,
    me: null,
    async bootstrap() {
      if (!localStorage.getItem(REFRESH_KEY)) return signedOut();
      const token = await get().refresh();
      if (!token) return;
      await get().reloadMe();
    },
    async login(email, password) {
      const r = await unwrap(postCrmV1AuthLogin({ body: { email, password } }));
      adopt(r.tokens);
      await get().reloadMe();
    },
    async signup(body) {
      const r = await unwrap(postCrmV1AuthSignup({ body }));
      adopt((r as PostCrmV1AuthLoginResponse).tokens);
      await get().reloadMe();
    },
    async acceptInvitation(body) {
      const r = await unwrap(postCrmV1InvitationsAccept({ body }));
      adopt((r as PostCrmV1AuthLoginResponse).tokens);
      await get().reloadMe();
    },
    async logout() {
      const refresh_token = localStorage.getItem(REFRESH_KEY) ?? undefined;
      try {
        await unwrap(
          postCrmV1AuthLogout({
            body: { refresh_token },
            headers: get().accessToken ? { authorization: `Bearer ${get().accessToken}` } : {},
          }),
        );
      } catch {
        // Signing out locally must work even when the server cannot be reached.
      }
      signedOut();
    },
    async switchWorkspace(workspaceId) {
      const token = await get().validAccessToken();
      const r = await unwrap(
        postCrmV1AuthSwitch({
          body: { workspace_id: workspaceId },
          headers: { authorization: `Bearer ${token ?? ''}` },
        }),
      );
      adopt((r as PostCrmV1AuthLoginResponse).tokens);
      await get().reloadMe();
    },
    refresh() {
      inflight ??= (async () => {
        const refresh_token = localStorage.getItem(REFRESH_KEY);
        if (!refresh_token) {
          signedOut();
          return null;
        }
        try {
          const tokens = await unwrap(postCrmV1AuthRefresh({ body: { refresh_token } }));
          adopt(tokens);
          return tokens.access_token;
        } catch (error) {
          // A 401 means the family is gone (expired, revoked or reused): sign out. Anything else (the
          // network) keeps the refresh token for the next attempt.
          if ((error as { status?: number }).status === 401) signedOut();
          else if (get().status === 'loading') set({ status: 'anonymous' });
          return null;
        } finally {
          inflight = null;
        }
      })();
      return inflight;
    },
    async validAccessToken() {
      const { accessToken, accessExpiresAt } = get();
      if (accessToken && accessExpiresAt - Date.now() > 30_000) return accessToken;
      if (!localStorage.getItem(REFRESH_KEY)) return null;
      return get().refresh();
    },
    async reloadMe() {
      const me = await unwrap(getCrmV1Me());
      set({ me, status: 'authenticated' });
    },
  };
});

export function useSession<T>(selector: (s: SessionState) => T): T {
  return useStore(sessionStore, selector);
}

/** The signed-in context; only used under the authenticated shell, where it is always present. */
export function useMe(): Me {
  const me = useSession((s) => s.me);
  if (!me) throw new Error('useMe() outside an authenticated page');
  return me;
}

export function can(me: Me, permission: Me['permissions'][number]): boolean {
  return me.permissions.includes(permission);
}

import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppPlatform } from '../../db.js';
import { ctxOf, problemResponses, problemSchema } from '../../platform/http/context.js';
import {
  createdInvitationResponseSchema,
  createInvitationSchema,
  invitationParamsSchema,
  invitationResponseSchema,
  memberParamsSchema,
  memberResponseSchema,
  updateMemberSchema,
} from './member.schema.js';
import {
  acceptInvitation,
  createInvitation,
  listInvitations,
  listMembers,
  revokeInvitation,
  updateMember,
} from './member.service.js';
import {
  acceptInvitationSchema,
  createWorkspaceSchema,
  logInSchema,
  logOutSchema,
  meResponseSchema,
  refreshSchema,
  sessionResponseSchema,
  signUpSchema,
  switchWorkspaceSchema,
  tokensResponseSchema,
} from './user.schema.js';
import {
  type ClientMeta,
  createAnotherWorkspace,
  logIn,
  logOut,
  refreshSession,
  signUp,
  switchWorkspace,
  whoAmI,
} from './user.service.js';

const meta = (request: FastifyRequest): ClientMeta => ({
  ip: request.ip,
  userAgent: request.headers['user-agent'] ?? null,
  requestId: request.id,
});

/** Sessions, the current user, members and invitations. */
export const userRoutes =
  (p: AppPlatform): FastifyPluginAsyncZod =>
  async (app) => {
    const auth = ['auth'];
    // Sign-in endpoints get a much tighter per-IP budget than the API in general.
    const strict = { rateLimit: { max: 20, timeWindow: 60_000 } };
    // Refresh guesses nothing (256-bit tokens), but a whole office behind one NAT address refreshes every
    // 15 minutes: it gets the general budget, not the password endpoints' one.
    const refreshBudget = { rateLimit: { max: 1200, timeWindow: 60_000 } };

    app.post(
      '/auth/signup',
      {
        config: { auth: 'public', ...strict },
        schema: {
          tags: auth,
          summary: 'Sign up: create a workspace and its first admin',
          security: [],
          body: signUpSchema,
          response: { 201: sessionResponseSchema, 409: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        reply.code(201);
        return signUp(p, request.body, meta(request));
      },
    );

    app.post(
      '/auth/login',
      {
        config: { auth: 'public', ...strict },
        schema: {
          tags: auth,
          summary: 'Sign in with email and password',
          description:
            'Repeated failures lock the email (and, ten times more lenient, the IP) for a while: 429.',
          security: [],
          body: logInSchema,
          response: { 200: sessionResponseSchema, ...problemResponses },
        },
      },
      async (request) => logIn(p, request.body, meta(request)),
    );

    app.post(
      '/auth/refresh',
      {
        config: { auth: 'public', ...refreshBudget },
        schema: {
          tags: auth,
          summary: 'Rotate a refresh token',
          description:
            'Returns a new pair. Presenting an already-rotated token revokes its whole family (401).',
          security: [],
          body: refreshSchema,
          response: { 200: tokensResponseSchema, ...problemResponses },
        },
      },
      async (request) => refreshSession(p, request.body.refresh_token, meta(request)),
    );

    app.post(
      '/auth/logout',
      {
        config: { auth: 'public' },
        schema: {
          tags: auth,
          summary: 'Sign out (the access token’s session and/or the given refresh token’s)',
          body: logOutSchema.optional(),
          response: { 204: z.null(), ...problemResponses },
        },
      },
      async (request, reply) => {
        await logOut(p, { actor: request.actor, refreshToken: request.body?.refresh_token }, meta(request));
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/auth/switch',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags: auth,
          summary: 'Open a session in another of your workspaces',
          body: switchWorkspaceSchema,
          response: { 200: sessionResponseSchema, ...problemResponses },
        },
      },
      async (request) => switchWorkspace(p, ctxOf(request), request.body.workspace_id, meta(request)),
    );

    app.get(
      '/me',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags: auth,
          summary: 'Who am I: user, workspace, role, effective permissions',
          response: { 200: meResponseSchema, ...problemResponses },
        },
      },
      async (request) => whoAmI(p, ctxOf(request)),
    );

    app.post(
      '/workspaces',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags: ['workspace'],
          summary: 'Create another workspace (you become its admin)',
          body: createWorkspaceSchema,
          response: { 201: sessionResponseSchema, 409: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        reply.code(201);
        return createAnotherWorkspace(p, ctxOf(request), request.body, meta(request));
      },
    );

    const members = ['members'];
    app.get(
      '/members',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags: members,
          summary: 'Members of the workspace',
          response: { 200: z.object({ data: z.array(memberResponseSchema) }), ...problemResponses },
        },
      },
      async (request) => listMembers(p, ctxOf(request)),
    );

    app.patch(
      '/members/:userId',
      {
        config: { scope: 'crm.admin' },
        schema: {
          tags: members,
          summary: 'Change a member’s role or status',
          description:
            'Their sessions are signed out so the change applies at once. The last admin cannot be demoted.',
          params: memberParamsSchema,
          body: updateMemberSchema,
          response: { 200: memberResponseSchema, 409: problemSchema, ...problemResponses },
        },
      },
      async (request) => updateMember(p, ctxOf(request), request.params.userId, request.body),
    );

    app.post(
      '/invitations',
      {
        config: { scope: 'crm.admin' },
        schema: {
          tags: members,
          summary: 'Invite someone by email',
          description: 'The token is returned once; send it (or the accept path) to the invitee.',
          body: createInvitationSchema,
          response: { 201: createdInvitationResponseSchema, 409: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        reply.code(201);
        return createInvitation(p, ctxOf(request), request.body);
      },
    );

    app.get(
      '/invitations',
      {
        config: { scope: 'crm.admin' },
        schema: {
          tags: members,
          summary: 'Invitations of the workspace',
          response: { 200: z.object({ data: z.array(invitationResponseSchema) }), ...problemResponses },
        },
      },
      async (request) => listInvitations(p, ctxOf(request)),
    );

    app.delete(
      '/invitations/:id',
      {
        config: { scope: 'crm.admin' },
        schema: {
          tags: members,
          summary: 'Revoke a pending invitation',
          params: invitationParamsSchema,
          response: { 200: invitationResponseSchema, 409: problemSchema, ...problemResponses },
        },
      },
      async (request) => revokeInvitation(p, ctxOf(request), request.params.id),
    );

    app.post(
      '/invitations/accept',
      {
        config: { auth: 'public', ...strict },
        schema: {
          tags: members,
          summary: 'Accept an invitation',
          description:
            'A new person sends display_name and a password to create their account; someone who already has ' +
            'an account sends its password. Returns a session in the invited workspace.',
          security: [],
          body: acceptInvitationSchema,
          response: { 200: sessionResponseSchema, 409: problemSchema, ...problemResponses },
        },
      },
      async (request) => acceptInvitation(p, request.body, meta(request)),
    );
  };

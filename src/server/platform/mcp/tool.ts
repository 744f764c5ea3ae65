import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { Scope } from '../../../shared/auth.js';
import type { RequestContext } from '../unit-of-work.js';

/**
 * One MCP tool of the CRM: a thin transport over a service use case, like a REST route. The platform
 * owns the protocol (registration, scope check at the edge, error mapping); each module declares its
 * tools in `<module>.mcp.ts` with `defineTool`, and the composition root lists them (src/server/mcp.ts).
 *
 * `P` is the platform the tools run on (the app's `AppPlatform`; generic so platform/ never imports a
 * module's types).
 */
export interface ToolEnv<P> {
  platform: P;
  ctx: RequestContext;
}

/** What a tool answers: the structured result (checked against its output schema) and a one-line summary. */
export interface ToolAnswer<T> {
  data: T;
  /** For people reading a transcript; agents read `structuredContent`. */
  summary: string;
}

export interface McpToolSpec<P, I extends z.ZodObject, O extends z.ZodObject> {
  name: string;
  title: string;
  /** Written for agents: what it does, when to use it, what it returns, what it needs. */
  description: string;
  /** Coarse scope the credential must carry (as `config.scope` on a REST route); services check the rest. */
  scope: Scope;
  annotations: Omit<ToolAnnotations, 'title'>;
  input: I;
  output: O;
  run(args: z.output<I>, env: ToolEnv<P>): Promise<ToolAnswer<z.input<O>>>;
}

/** A tool with its argument types erased, as the server registers it (the SDK validated the arguments). */
export interface McpTool<P> {
  name: string;
  title: string;
  description: string;
  scope: Scope;
  annotations: Omit<ToolAnnotations, 'title'>;
  input: z.ZodObject;
  output: z.ZodObject;
  run(args: unknown, env: ToolEnv<P>): Promise<ToolAnswer<unknown>>;
}

export function defineTool<P, I extends z.ZodObject, O extends z.ZodObject>(
  spec: McpToolSpec<P, I, O>,
): McpTool<P> {
  return {
    ...spec,
    // The SDK parsed the arguments with `spec.input` before calling: they are its output type.
    run: (args, env) => spec.run(args as z.output<I>, env),
  };
}

/** `defineTool` with the platform type fixed (`const tool = toolDefiner<AppPlatform>()` in a module). */
export function toolDefiner<P>() {
  return <I extends z.ZodObject, O extends z.ZodObject>(spec: McpToolSpec<P, I, O>): McpTool<P> =>
    defineTool(spec);
}

import SchemaBuilder from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
import { Kind, type ValueNode } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import type { z } from 'zod';
import type { Scope } from '../../shared/auth.js';
import { LIMITS } from '../../shared/limits.js';
import { AppError, type FieldError } from '../platform/errors.js';
import { isUuid } from '../platform/ids.js';
import type { GqlContext } from './context.js';

/**
 * The one Pothos builder of the CRM subgraph (code-first; federation v2 through the federation plugin).
 * Fields are non-null unless declared `nullable: true`, like the seed SDL.
 */
export const builder = new SchemaBuilder<{
  Context: GqlContext;
  DefaultFieldNullability: false;
  FederationScopes: Scope;
  Scalars: {
    JSON: { Input: unknown; Output: unknown };
    Date: { Input: string; Output: string };
    DateTime: { Input: string; Output: string };
    SafeInt: { Input: number; Output: number };
  };
}>({
  plugins: [DirectivesPlugin, FederationPlugin],
  defaultFieldNullability: false,
});

function jsonLiteral(node: ValueNode): unknown {
  switch (node.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return node.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return node.values.map(jsonLiteral);
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, jsonLiteral(f.value)]));
    default:
      throw createGraphQLError('JSON literals cannot hold variables');
  }
}

builder.scalarType('JSON', {
  description: 'Any JSON value (custom fields, metadata).',
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral: jsonLiteral,
});

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
builder.scalarType('Date', {
  description: 'A calendar date, YYYY-MM-DD.',
  serialize: (v) => String(v),
  parseValue: (v) => {
    if (typeof v !== 'string' || !DATE_RE.test(v)) throw createGraphQLError('Date must be YYYY-MM-DD');
    return v;
  },
  parseLiteral: (n) => {
    if (n.kind !== Kind.STRING || !DATE_RE.test(n.value)) throw createGraphQLError('Date must be YYYY-MM-DD');
    return n.value;
  },
});

builder.scalarType('DateTime', {
  description: 'An instant, ISO 8601 with milliseconds and Z (2026-01-31T08:00:00.000Z).',
  serialize: (v) => String(v),
  parseValue: (v) => {
    if (typeof v !== 'string' || Number.isNaN(Date.parse(v)))
      throw createGraphQLError('DateTime must be ISO 8601');
    return v;
  },
  parseLiteral: (n) => {
    if (n.kind !== Kind.STRING || Number.isNaN(Date.parse(n.value)))
      throw createGraphQLError('DateTime must be ISO 8601');
    return n.value;
  },
});

function safeInt(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw createGraphQLError('SafeInt must be an integer within ±(2^53 − 1)');
  }
  return v;
}
builder.scalarType('SafeInt', {
  description:
    'An exact integer beyond GraphQL Int (32 bits), up to 2^53 − 1: money in minor units (VND amounts pass 2^31).',
  serialize: safeInt,
  parseValue: safeInt,
  parseLiteral: (n) => {
    if (n.kind !== Kind.INT) throw createGraphQLError('SafeInt must be an integer literal');
    return safeInt(Number(n.value));
  },
});

builder.queryType({});
builder.mutationType({});

/**
 * Scope enforcement in the resolver path: the `@requiresScopes` directive documents the need for a
 * gateway, and this check holds when the subgraph is called directly. The services then apply the role
 * permissions and record rules, as for REST.
 */
export function requireScope(ctx: GqlContext, scope: Scope): void {
  if (ctx.actor.scopes.has(scope)) return;
  throw new AppError('insufficient_scope', `This credential lacks the ${scope} scope this operation needs`, {
    extra: { required_scope: scope },
  });
}

/**
 * Parses GraphQL arguments (already mapped to the REST field names) with the module's own zod schema, so
 * both surfaces refuse the same input. `path` maps a REST field back to the GraphQL argument path for
 * the error (`account_id` → `input.accountId`).
 */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  path: (restField: string) => string,
): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const fields: FieldError[] = r.error.issues.flatMap((issue): FieldError[] => {
    const keys =
      issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
    return keys.map((p) => {
      const field = path(p.map(String).join('.'));
      return {
        field,
        pointer: `/${field.replaceAll('.', '/')}`,
        in: 'body',
        code: issue.code,
        message: issue.message,
      };
    });
  });
  const names = [...new Set(fields.map((f) => f.field))].join(', ');
  throw new AppError('validation_failed', `Invalid argument: ${names}`, { fields });
}

const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** `account_id.0` → `input.accountId.0`: the GraphQL spelling of a REST field under an argument. */
export const under =
  (arg: string, renames: Record<string, string> = {}) =>
  (rest: string): string => {
    if (rest === '') return arg;
    const [head = '', ...tail] = rest.split('.');
    const name = renames[head] ?? camel(head);
    return [arg, name, ...tail.map(camel)].filter((s) => s !== '').join('.');
  };

/**
 * Drops absent members (an omitted GraphQL argument) and keeps explicit nulls, which mean "none" exactly
 * as a JSON null does in REST (`ownerId: null`: unowned).
 */
export function present<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Drops absent and null members: for filters, where null means "no filter". */
export function given<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}

/** An ID argument must be one of our UUIDs: anything else is a 422 naming the argument, never a SQL error. */
export function idArg(value: string | number, field: string): string {
  const v = String(value);
  if (isUuid(v)) return v;
  throw new AppError('validation_failed', `${field} is not an id of this API`, {
    fields: [
      {
        field,
        pointer: `/${field.replaceAll('.', '/')}`,
        in: 'body',
        code: 'invalid_id',
        message: 'must be a UUID',
      },
    ],
  });
}

/** Runs a lookup, answering null for the given not-found code (GraphQL reads return null, REST 404s). */
export async function orNull<T>(run: () => Promise<T>, code: AppError['code']): Promise<T | null> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof AppError && e.code === code) return null;
    throw e;
  }
}

/** A page size argument: 1…100 (the REST maximum), else a 422 naming it. */
export function limitArg(value: number | null | undefined, field: string, fallback: number): number {
  const v = value ?? fallback;
  if (Number.isInteger(v) && v >= 1 && v <= LIMITS.pageSizeMax) return v;
  throw new AppError('validation_failed', `${field} must be between 1 and ${LIMITS.pageSizeMax}`, {
    fields: [
      { field, pointer: `/${field}`, in: 'body', code: 'too_big', message: `1 to ${LIMITS.pageSizeMax}` },
    ],
  });
}

/**
 * Runs a service call and renames the fields of its validation errors to the GraphQL argument paths
 * (the services name REST fields: `lost_reason` becomes `lostReason`).
 */
export async function renamingFields<T>(
  path: (restField: string) => string,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (!(e instanceof AppError) || e.fields.length === 0) throw e;
    const fields = e.fields.map((f) => {
      const field = path(f.field);
      return { ...f, field, pointer: `/${field.replaceAll('.', '/')}`, in: 'body' as const };
    });
    throw new AppError(e.code, e.message, { fields, extra: e.extra, headers: e.headers, cause: e });
  }
}

/** The GraphQL argument of a list query's REST field: limit → first, cursor → after, sort, else filter.*. */
export function listArg(renames: Record<string, string> = {}) {
  const filter = under('filter', renames);
  return (field: string): string =>
    field === 'limit'
      ? 'first'
      : field === 'cursor'
        ? 'after'
        : field === 'sort' || field === 'include_total'
          ? field === 'sort'
            ? 'sort'
            : 'withTotal'
          : filter(field);
}

import type { z } from 'zod';
import type { workspaceResponseSchema } from './workspace.schema.js';
import type { Workspace } from './workspace.table.js';

export type WorkspaceJson = z.infer<typeof workspaceResponseSchema>;

export function presentWorkspace(w: Workspace): WorkspaceJson {
  return {
    id: w.id,
    slug: w.slug,
    name: w.name,
    base_currency: w.base_currency,
    locale: w.locale,
    timezone: w.timezone,
    created_at: w.created_at.toISOString(),
    updated_at: w.updated_at.toISOString(),
    version: w.version,
  };
}

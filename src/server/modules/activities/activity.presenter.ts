import MarkdownIt from 'markdown-it';
import type { z } from 'zod';
import type { Actor } from '../../platform/auth/actor.js';
import { activityAbilities } from './activity.policy.js';
import type { activityResponseSchema } from './activity.schema.js';
import type { ActivityRow } from './activity.table.js';

export type ActivityJson = z.infer<typeof activityResponseSchema>;
export type ActivitySnapshot = Omit<ActivityJson, 'abilities' | 'body_html' | 'completion' | 'task_state'>;

/** An entry as read by the repository: the row plus its task completion (null when open or not a task). */
export interface ActivityView extends ActivityRow {
  completion_id: string | null;
  completion_at: Date | null;
  completion_by: string | null;
}

/**
 * Markdown → HTML for timeline bodies, which come from people and from outside feeds (email, chat).
 * `html: false` escapes every raw tag (`<script>`, `<img onerror>`), and markdown-it's default
 * validateLink refuses javascript:, vbscript:, file: and non-image data: URLs, so the HTML can be
 * inserted as is. Links get rel=noopener (they open third-party pages from our origin).
 */
const md = new MarkdownIt({ html: false, linkify: true, typographer: false });
const defaultLinkOpen =
  md.renderer.rules.link_open ??
  ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const token = tokens[idx];
  if (token) {
    token.attrSet('rel', 'nofollow noopener noreferrer');
    token.attrSet('target', '_blank');
  }
  return defaultLinkOpen(tokens, idx, options, env, self);
};

/** The safe HTML of a markdown body (null stays null). */
export function renderMarkdown(body: string | null): string | null {
  return body === null ? null : md.render(body);
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** The stored entry, without reader-dependent or derived parts (events and audit snapshots). */
export function activitySnapshot(row: ActivityRow): ActivitySnapshot {
  return {
    id: row.id,
    kind: row.kind,
    subject: row.subject,
    body_markdown: row.body_markdown,
    occurred_at: row.occurred_at.toISOString(),
    due_at: iso(row.due_at),
    related_activity_id: row.related_activity_id,
    account_id: row.account_id,
    contact_id: row.contact_id,
    deal_id: row.deal_id,
    lead_id: row.lead_id,
    source: row.source,
    source_event_id: row.source_event_id,
    metadata: row.metadata,
    owner_id: row.owner_id,
    actor_type: row.actor_type,
    created_by: row.created_by,
    created_at: row.created_at.toISOString(),
  };
}

/** The entry as its reader sees it: rendered body, task state, and what the reader may do with it. */
export function presentActivity(row: ActivityView, actor: Actor): ActivityJson {
  const isTask = row.kind === 'task';
  const done = row.completion_id !== null;
  return {
    ...activitySnapshot(row),
    body_html: renderMarkdown(row.body_markdown),
    completion:
      row.completion_id && row.completion_at
        ? {
            activity_id: row.completion_id,
            completed_at: row.completion_at.toISOString(),
            completed_by: row.completion_by,
          }
        : null,
    task_state: isTask ? (done ? 'done' : 'open') : null,
    abilities: activityAbilities(actor, row, done),
  };
}

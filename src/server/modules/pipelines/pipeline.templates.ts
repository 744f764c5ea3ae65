import type { PipelineKind, StageCategory, StageOutcome } from './pipeline.table.js';

/**
 * Preset pipeline shapes, one per kind. `sales` is the seed's default (000 §7) and must stay identical
 * to what `crm_create_default_pipeline` (migration 0006) builds for a new workspace; a test compares
 * them. The other shapes follow how Vietnamese B2B teams run those processes: partners are vetted and
 * contracted, inbound leads are qualified fast, outbound needs several touches before a meeting.
 */

export interface TemplateStage {
  code: string;
  name_vi: string;
  name_en: string;
  default_probability: number;
  category: StageCategory;
  outcome: StageOutcome | null;
  required_fields: string[];
  rotting_days: number | null;
}

export interface PipelineTemplate {
  stages: TemplateStage[];
  /** By stage code; 'linear' = linearMoves(stages). */
  moves: ReadonlyArray<readonly [string, string]> | 'linear';
}

const open = (
  code: string,
  name_vi: string,
  name_en: string,
  p: number,
  required: string[],
  rotting: number | null,
): TemplateStage => ({
  code,
  name_vi,
  name_en,
  default_probability: p,
  category: 'open',
  outcome: null,
  required_fields: required,
  rotting_days: rotting,
});
const won = (code: string, name_vi: string, name_en: string, required: string[]): TemplateStage => ({
  code,
  name_vi,
  name_en,
  default_probability: 100,
  category: 'won',
  outcome: 'won',
  required_fields: required,
  rotting_days: null,
});
const lost = (
  code: string,
  name_vi: string,
  name_en: string,
  outcome: 'lost' | 'cancelled',
): TemplateStage => ({
  code,
  name_vi,
  name_en,
  default_probability: 0,
  category: 'lost',
  outcome,
  required_fields: outcome === 'lost' ? ['lost_reason'] : [],
  rotting_days: null,
});

const AMOUNT_CONTACT = ['amount', 'primary_contact_id'];

export const PIPELINE_TEMPLATES: Record<PipelineKind, PipelineTemplate> = {
  sales: {
    stages: [
      open('qualifying', 'Đánh giá', 'Qualifying', 10, [], 14),
      open('discovery', 'Khám phá', 'Discovery', 25, [], 21),
      open('proposal', 'Đề xuất', 'Proposal', 50, AMOUNT_CONTACT, 21),
      open('negotiation', 'Đàm phán', 'Negotiation', 75, [...AMOUNT_CONTACT, 'expected_close_date'], 30),
      won('closed_won', 'Thắng', 'Closed Won', ['account_id', ...AMOUNT_CONTACT]),
      lost('closed_lost', 'Thua', 'Closed Lost', 'lost'),
      lost('cancelled', 'Huỷ', 'Cancelled', 'cancelled'),
    ],
    // The seed's lifecycle diagram, plus a step back between neighbouring open stages (ADR 0012).
    moves: [
      ['qualifying', 'discovery'],
      ['discovery', 'proposal'],
      ['proposal', 'negotiation'],
      ['negotiation', 'closed_won'],
      ['negotiation', 'closed_lost'],
      ['negotiation', 'cancelled'],
      ['discovery', 'closed_lost'],
      ['proposal', 'closed_lost'],
      ['qualifying', 'cancelled'],
      ['discovery', 'qualifying'],
      ['proposal', 'discovery'],
      ['negotiation', 'proposal'],
    ],
  },
  partner: {
    stages: [
      open('identified', 'Xác định đối tác', 'Identified', 10, [], 30),
      open('evaluation', 'Đánh giá năng lực', 'Evaluation', 25, ['account_id'], 30),
      open('terms', 'Đàm phán điều khoản', 'Terms Negotiation', 50, ['account_id', 'primary_contact_id'], 30),
      open(
        'contracting',
        'Ký kết hợp đồng',
        'Contracting',
        80,
        ['account_id', 'primary_contact_id', 'expected_close_date'],
        21,
      ),
      won('active', 'Đã hợp tác', 'Partnership Active', ['account_id', 'primary_contact_id']),
      lost('declined', 'Không phù hợp', 'Not a Fit', 'lost'),
      lost('withdrawn', 'Tạm dừng', 'Withdrawn', 'cancelled'),
    ],
    moves: 'linear',
  },
  inbound: {
    stages: [
      open('new_lead', 'Khách hàng mới', 'New Lead', 5, [], 2),
      open('contacted', 'Đã liên hệ', 'Contacted', 15, ['primary_contact_id'], 5),
      open('qualified', 'Đủ điều kiện', 'Qualified', 30, ['primary_contact_id'], 10),
      open('demo', 'Demo sản phẩm', 'Demo', 50, ['account_id', 'primary_contact_id'], 14),
      open('quote', 'Báo giá', 'Quote Sent', 70, AMOUNT_CONTACT, 14),
      won('closed_won', 'Thắng', 'Closed Won', ['account_id', ...AMOUNT_CONTACT]),
      lost('closed_lost', 'Thua', 'Closed Lost', 'lost'),
      lost('disqualified', 'Không hợp lệ', 'Disqualified', 'cancelled'),
    ],
    moves: 'linear',
  },
  outbound: {
    stages: [
      open('target', 'Khách hàng mục tiêu', 'Target', 5, [], 14),
      open('outreach', 'Đang tiếp cận', 'Outreach', 10, ['primary_contact_id'], 14),
      open('engaged', 'Đã phản hồi', 'Engaged', 20, ['primary_contact_id'], 14),
      open('meeting', 'Đã hẹn gặp', 'Meeting Booked', 35, ['account_id', 'primary_contact_id'], 14),
      open('proposal', 'Đề xuất', 'Proposal', 55, AMOUNT_CONTACT, 21),
      open('negotiation', 'Đàm phán', 'Negotiation', 75, [...AMOUNT_CONTACT, 'expected_close_date'], 30),
      won('closed_won', 'Thắng', 'Closed Won', ['account_id', ...AMOUNT_CONTACT]),
      lost('closed_lost', 'Thua', 'Closed Lost', 'lost'),
      lost('no_response', 'Không phản hồi', 'No Response', 'cancelled'),
    ],
    moves: 'linear',
  },
  custom: {
    stages: [
      open('new', 'Mới', 'New', 10, [], null),
      open('in_progress', 'Đang xử lý', 'In Progress', 50, [], null),
      won('won', 'Thành công', 'Won', []),
      lost('lost', 'Thất bại', 'Lost', 'lost'),
    ],
    moves: 'linear',
  },
};

/**
 * "linear" moves over stages in board order: each open stage to the next open one and back, and every
 * open stage to every closed stage. Closed stages lead nowhere (reopening is an explicit move an admin
 * adds).
 */
export function linearMoves<S extends { category: StageCategory }>(stages: readonly S[]): Array<[S, S]> {
  const opens = stages.filter((s) => s.category === 'open');
  const closed = stages.filter((s) => s.category !== 'open');
  const out: Array<[S, S]> = [];
  for (let i = 0; i < opens.length; i++) {
    const cur = opens[i] as S;
    const next = opens[i + 1];
    if (next) out.push([cur, next], [next, cur]);
    for (const c of closed) out.push([cur, c]);
  }
  return out;
}

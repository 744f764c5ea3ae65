import { builder } from './builder.js';
import { PipelineKind, PipelineRef, StageCategory, StageOutcome, StageRef } from './refs.js';

/** Pipelines and their stages (read-only here; they are configured by admins through REST). */

StageRef.implement({
  description: 'A column of a pipeline.',
  fields: (t) => ({
    id: t.exposeID('id'),
    pipelineId: t.exposeID('pipeline_id'),
    code: t.exposeString('code'),
    nameVi: t.exposeString('name_vi'),
    nameEn: t.exposeString('name_en'),
    category: t.expose('category', { type: StageCategory }),
    outcome: t.expose('outcome', { type: StageOutcome, nullable: true }),
    position: t.exposeInt('position', { nullable: true }),
    defaultProbability: t.exposeInt('default_probability', { nullable: true }),
  }),
});

PipelineRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    kind: t.expose('kind', { type: PipelineKind }),
    isDefault: t.exposeBoolean('is_default'),
    position: t.exposeInt('position'),
    enforceTransitions: t.exposeBoolean('enforce_transitions'),
    stages: t.field({
      type: [StageRef],
      description: 'Live stages in board order.',
      resolve: (p) => p.stages,
    }),
  }),
});

builder.queryFields((t) => ({
  pipelines: t.field({
    type: [PipelineRef],
    description: "The workspace's pipelines in board order, with their stages.",
    resolve: (_root, _args, ctx) => ctx.loaders.pipelines(),
  }),
}));

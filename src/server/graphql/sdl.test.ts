import { readFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { crmSdl } from './schema.js';

const SDL_PATH = new URL('../../../docs/crm.graphql', import.meta.url);

describe('committed GraphQL SDL (docs/crm.graphql)', () => {
  it('matches what the code generates (run `npm run graphql:sdl` after changing the schema)', () => {
    expect(crmSdl()).toBe(readFileSync(SDL_PATH, 'utf8'));
  });

  it('composes into a supergraph with @apollo/composition, with the entities and scopes of the seed', () => {
    const result = composeServices([
      {
        name: 'crm',
        url: 'http://crm.internal/crm/graphql',
        typeDefs: parse(readFileSync(SDL_PATH, 'utf8')),
      },
    ]);
    expect(result.errors ?? []).toEqual([]);
    const supergraph = result.supergraphSdl ?? '';
    for (const entity of ['Account', 'Contact', 'Deal']) {
      expect(supergraph).toMatch(new RegExp(`type ${entity}\\s+@join__type\\(graph: CRM, key: "id"\\)`));
    }
    expect(supergraph).toMatch(
      /closeDeal\([\s\S]*?\): CloseDealResult! @requiresScopes\(scopes: \[\["crm\.close"\]\]\)/,
    );
    expect(supergraph).toMatch(
      /createAccount\([\s\S]*?\): Account! @requiresScopes\(scopes: \[\["crm\.write"\]\]\)/,
    );
  });

  it('keeps out what the CRM does not have (no stub fields)', () => {
    const sdl = crmSdl();
    expect(sdl).not.toMatch(/leadScore|nextBestAction/);
  });
});

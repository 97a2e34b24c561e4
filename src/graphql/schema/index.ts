import { builder } from './builder.ts';
import { FEDERATION_LINK_URL, guardFederationFields } from './federation.ts';
import './scalars.ts';
import './system-hook.ts';
import './project-hook.ts';
import './group-hook.ts';
import './every-scope.ts';
import './events/index.ts';

/**
 * The gateway's schema, built once, and an Apollo Federation 2 subgraph (`_service`, `_entities`);
 * `toSubGraphSchema` sorts it, so the printed SDL is stable.
 */
export const schema = guardFederationFields(builder.toSubGraphSchema({ linkUrl: FEDERATION_LINK_URL }));

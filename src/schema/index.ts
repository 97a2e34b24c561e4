import { builder } from './builder.ts';
import './system-hook.ts';
import './system-hook-mutations.ts';
import './hook-key-mutations.ts';

/** The gateway's schema, built once; `toSchema` sorts it, so the printed SDL is stable. */
export const schema = builder.toSchema();

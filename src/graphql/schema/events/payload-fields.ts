/**
 * A declarative description of a type's payload fields, and the Pothos fields it makes. Keys are the payload's;
 * the GraphQL field is the key in camelCase unless `name` says otherwise, so the naming rule holds by
 * construction. Every field is nullable and read defensively (`payload-readers.ts`).
 */
import type { ObjectRef } from '@pothos/core';
import { builder } from '../builder.ts';
import {
  booleanValue,
  gitlabTime,
  globalIdOf,
  intValue,
  type Json,
  jsonObjectValue,
  listOf,
  type Model,
  stringValue,
} from './payload-readers.ts';

type Types = typeof builder.$inferSchemaTypes;

export type PayloadField = { description: string; name?: string } & (
  | { kind: 'String' | 'Int' | 'Boolean' | 'DateTime' | 'JSONObject' | '[String]' | '[Int]' }
  | { kind: 'ID' | '[ID]'; model: Model }
  | { kind: 'object' | '[object]'; ref: ObjectRef<Types, Json> }
);
export type PayloadFields = Record<string, PayloadField>;

const GID_NOTE = 'the numeric REST id is in `payload`';

/** The field builders, under one name: `payload.text(...)`, `payload.object(ref, ...)`. */
export const payload = {
  text: (description: string): PayloadField => ({ kind: 'String', description }),
  int: (description: string): PayloadField => ({ kind: 'Int', description }),
  bool: (description: string): PayloadField => ({ kind: 'Boolean', description }),
  time: (description: string): PayloadField => ({ kind: 'DateTime', description }),
  json: (description: string): PayloadField => ({ kind: 'JSONObject', description }),
  texts: (description: string): PayloadField => ({ kind: '[String]', description }),
  ints: (description: string): PayloadField => ({ kind: '[Int]', description }),
  object: (ref: ObjectRef<Types, Json>, description: string): PayloadField => ({
    kind: 'object',
    ref,
    description,
  }),
  objects: (ref: ObjectRef<Types, Json>, description: string): PayloadField => ({
    kind: '[object]',
    ref,
    description,
  }),
  gid: (model: Model, description: string, name?: string): PayloadField => ({
    kind: 'ID',
    model,
    name,
    description: `${description} A global ID${typeof model === 'string' ? `, \`gid://gitlab/${model}/<id>\`` : ''}; ${GID_NOTE}.`,
  }),
  gids: (model: string, description: string): PayloadField => ({
    kind: '[ID]',
    model,
    description: `${description} Global IDs, \`gid://gitlab/${model}/<id>\`; ${GID_NOTE}.`,
  }),
};

function camelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}

/** The Pothos fields of `spec`, read from the record `recordOf` finds in the parent (the payload, or a nested object). */
export function payloadFields<Parent>(
  t: PothosSchemaTypes.ObjectFieldBuilder<Types, Parent>,
  recordOf: (parent: Parent) => Json,
  spec: PayloadFields,
) {
  return Object.fromEntries(
    Object.entries(spec).map(([key, field]) => {
      const valueAt = (parent: Parent) => recordOf(parent)[key];
      return [field.name ?? camelCase(key), payloadField(t, field, valueAt, recordOf)];
    }),
  );
}

function payloadField<Parent>(
  t: PothosSchemaTypes.ObjectFieldBuilder<Types, Parent>,
  field: PayloadField,
  valueAt: (parent: Parent) => unknown,
  recordOf: (parent: Parent) => Json,
) {
  const { description } = field;
  const nullable = true;
  switch (field.kind) {
    case 'String':
      return t.string({ nullable, description, resolve: (p) => stringValue(valueAt(p)) });
    case 'Int':
      return t.int({ nullable, description, resolve: (p) => intValue(valueAt(p)) });
    case 'Boolean':
      return t.boolean({ nullable, description, resolve: (p) => booleanValue(valueAt(p)) });
    case 'DateTime':
      return t.field({ type: 'DateTime', nullable, description, resolve: (p) => gitlabTime(valueAt(p)) });
    case 'JSONObject':
      return t.field({
        type: 'JSONObject',
        nullable,
        description,
        resolve: (p) => jsonObjectValue(valueAt(p)),
      });
    case '[String]':
      return t.stringList({ nullable, description, resolve: (p) => listOf(valueAt(p), stringValue) });
    case '[Int]':
      return t.intList({ nullable, description, resolve: (p) => listOf(valueAt(p), intValue) });
    case 'ID':
      return t.id({
        nullable,
        description,
        resolve: (p) => globalIdOf(field.model, recordOf(p), valueAt(p)),
      });
    case '[ID]':
      return t.idList({
        nullable,
        description,
        resolve: (p) => listOf(valueAt(p), (id) => globalIdOf(field.model, recordOf(p), id)),
      });
    case 'object':
      return t.field({ type: field.ref, nullable, description, resolve: (p) => jsonObjectValue(valueAt(p)) });
    case '[object]':
      return t.field({
        type: [field.ref],
        nullable,
        description,
        resolve: (p) => listOf(valueAt(p), jsonObjectValue),
      });
  }
}

/** An object type nested in payloads, whose fields are all read from its own JSON object. */
export function nestedType(
  name: string,
  description: string,
  spec: () => PayloadFields,
): ObjectRef<Types, Json> {
  return builder.objectRef<Json>(name).implement({
    description,
    fields: (t) => payloadFields(t, (record) => record, spec()),
  });
}

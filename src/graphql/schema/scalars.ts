import { DateTimeResolver, JSONObjectResolver } from 'graphql-scalars';
import { builder } from './builder.ts';
import { isCanonicalUtc } from './canonical-utc.ts';

builder.addScalarType('DateTime', DateTimeResolver, {
  // GitLab writes its times as `Date#toISOString` does (`2026-11-22T06:40:54.610Z`). Such a string is valid and
  // already in the form graphql-scalars would answer (it parses to a Date, which JSON writes back with
  // toISOString), so it is returned as is after one parse, on every hook of a list. Anything else takes
  // graphql-scalars' path, with its checks and errors.
  serialize: (value) =>
    typeof value === 'string' && isCanonicalUtc(value) ? value : DateTimeResolver.serialize(value),
});

builder.addScalarType('JSONObject', JSONObjectResolver);

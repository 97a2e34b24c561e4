import type { ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { gatewayError } from '../errors.ts';

/**
 * The message a client sees when it asks for the schema with introspection off. GraphiQL shows it where the
 * schema would be, so it says who turned introspection off and where the schema can be read instead.
 */
const INTROSPECTION_DISABLED_MESSAGE =
  'Introspection is disabled by the operator of this gateway (INTROSPECTION=false), so GraphiQL and other ' +
  'tools cannot load the schema from it; the schema is published as schema.graphql with the gateway.';

/**
 * Refuses `__schema` and `__type` wherever they appear (aliased or in a fragment). `__typename` stays: clients
 * need it to read unions and interfaces, and it reveals nothing the query did not already name.
 */
const noIntrospection: ValidationRule = (context) => ({
  Field(node) {
    const name = node.name.value;
    if (name === '__schema' || name === '__type')
      context.reportError(gatewayError('INTROSPECTION_DISABLED', INTROSPECTION_DISABLED_MESSAGE, {}, node));
  },
});

export interface IntrospectionSwitchOptions {
  /** Whether `__schema` and `__type` queries are answered. @default true */
  enabled?: boolean | undefined;
}

/**
 * Turns introspection off for production when `enabled` is false: such documents fail validation, before
 * anything runs, with {@link INTROSPECTION_DISABLED_MESSAGE}. Being a validation rule, the verdict is cached with
 * the document by `useValidationCache` like any other.
 */
/** Introspection is answered unless turned off (`INTROSPECTION=false`). */
export const INTROSPECTION_DEFAULT = true;

export function useIntrospectionSwitch({
  enabled = INTROSPECTION_DEFAULT,
}: IntrospectionSwitchOptions = {}): Plugin {
  if (enabled) return {};
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(noIntrospection);
    },
  };
}

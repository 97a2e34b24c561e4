import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, isScalarType } from 'graphql';
import { printGatewaySchema } from '../src/graphql/print-schema.ts';
import { schema } from '../src/graphql/schema/index.ts';

describe('schema.graphql', () => {
  it('matches the schema printed from the Pothos types (run `npm run print:schema` after a change)', () => {
    const checkedIn = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
    assert.equal(checkedIn, printGatewaySchema());
  });

  it('names the REST call behind every root field at the end of its description', () => {
    const roots = [schema.getQueryType(), schema.getMutationType()];
    for (const root of roots) {
      assert.ok(root);
      for (const field of Object.values(root.getFields())) {
        // Federation's `_service` answers this subgraph's SDL from memory: it is the one root field without REST.
        if (root.name === 'Query' && field.name === '_service') continue;
        assert.match(
          field.description ?? '',
          /REST: (GET|POST|PUT|DELETE) \/api\/v4\/\S+(, (GET|POST|PUT|DELETE) \/api\/v4\/\S+)*(, batched| \(only for the fields that need it\))?$/,
          `${root.name}.${field.name}`,
        );
      }
    }
  });

  it('describes every type, field, argument and enum value of its own', () => {
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || (isScalarType(type) && !type.description)) continue;
      // Federation's own types, defined and named by @apollo/subgraph; their fields are its too.
      if (type.name === '_Entity' || type.name === '_Service') continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : []) {
            if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
          }
        }
      }
      if (isEnumType(type)) {
        for (const value of type.getValues())
          if (!value.description) missing.push(`${type.name}.${value.name}`);
      }
    }
    // Built-in scalars (String, Boolean, ...) describe themselves; everything of ours must.
    assert.deepEqual(missing, []);
  });

  it('has the operations, types and enum values the contract fixes', () => {
    const query = schema.getQueryType()?.getFields() ?? {};
    const mutation = schema.getMutationType()?.getFields() ?? {};
    assert.deepEqual(Object.keys(query).sort(), [
      '_entities',
      '_service',
      'group',
      'node',
      'nodes',
      'project',
      'systemHook',
      'systemHookEvents',
      'systemHooks',
    ]);
    assert.deepEqual(Object.keys(mutation).sort(), [
      'createGroupHook',
      'createProjectHook',
      'createSystemHook',
      'deleteGroupHook',
      'deleteHookCustomHeader',
      'deleteHookUrlVariable',
      'deleteProjectHook',
      'deleteSystemHook',
      'resendWebhookEvent',
      'setHookCustomHeader',
      'setHookUrlVariable',
      'testGroupHook',
      'testProjectHook',
      'testSystemHook',
      'updateGroupHook',
      'updateProjectHook',
      'updateSystemHook',
    ]);
    const status = schema.getType('WebhookAlertStatus');
    const strategy = schema.getType('WebhookBranchFilterStrategy');
    assert.ok(isEnumType(status) && isEnumType(strategy));
    assert.deepEqual(
      status.getValues().map((v) => v.name),
      ['DISABLED', 'EXECUTABLE', 'TEMPORARILY_DISABLED'],
    );
    assert.deepEqual(
      strategy.getValues().map((v) => v.name),
      ['ALL_BRANCHES', 'REGEX', 'WILDCARD'],
    );
    const hook = schema.getType('SystemHook');
    assert.ok(isObjectType(hook));
    assert.ok(!('token' in hook.getFields()), 'SystemHook must not expose its token');
    assert.deepEqual(
      hook.getInterfaces().map((i) => i.name),
      ['Node', 'Webhook'],
    );
    for (const name of ['ProjectHook', 'GroupHook']) {
      const type = schema.getType(name);
      assert.ok(isObjectType(type), name);
      assert.ok(!('token' in type.getFields()), `${name} must not expose its token`);
      assert.deepEqual(
        type.getInterfaces().map((i) => i.name),
        ['Node', 'Webhook'],
        name,
      );
    }
  });
});

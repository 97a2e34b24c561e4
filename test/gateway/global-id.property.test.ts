import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { GraphQLError } from 'graphql';
import { encodeGlobalId, parseHookId } from '../../src/graphql/schema/global-id.ts';
import { propertyRuns } from '../helpers/property.ts';

const RUNS = propertyRuns(200);

/** What the gateway accepts, stated independently of the parser: a positive safe integer, plain or in a gid. */
function expectedId(value: string): number | null {
  const match = /^(?:gid:\/\/gitlab\/SystemHook\/)?([0-9]+)$/.exec(value);
  if (!match) return null;
  const id = Number(match[1]);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

function parse(value: string): { id: number } | { error: GraphQLError } {
  try {
    return { id: parseHookId(value, 'SystemHook') };
  } catch (error) {
    assert.ok(error instanceof GraphQLError, `threw ${String(error)} for ${JSON.stringify(value)}`);
    return { error };
  }
}

/** Strings near the accepted forms, where a parser's mistakes are. */
const idLike = fc
  .tuple(
    fc.constantFrom(
      '',
      'gid://gitlab/SystemHook/',
      'gid://gitlab/Project/',
      'gid://gitlab/',
      'gid://GitLab/SystemHook/',
      'gid://gitlab/SystemHook//',
      'gid://gitlab/SystemHook/gid://gitlab/SystemHook/',
      '+',
      '-',
      ' ',
      '0',
    ),
    fc.oneof(
      fc.bigInt({ min: -1n, max: 2n ** 64n }).map(String),
      fc.stringMatching(/^[0-9]{0,25}$/),
      fc.string({ maxLength: 12 }),
    ),
    fc.constantFrom('', ' ', '\n', '/', '.0', 'e3', '\u0000', '/1'),
  )
  .map(([prefix, middle, suffix]) => prefix + middle + suffix);

describe('global ID parsing, property-based', () => {
  it('accepts exactly the valid forms, and throws nothing but a BAD_USER_INPUT GraphQLError', () => {
    fc.assert(
      fc.property(fc.oneof(idLike, fc.string({ unit: 'binary', maxLength: 200 })), (value) => {
        const result = parse(value);
        const expected = expectedId(value);
        if (expected === null) {
          assert.ok('error' in result, `accepted ${JSON.stringify(value)}`);
          assert.equal(result.error.extensions.code, 'BAD_USER_INPUT');
        } else {
          assert.deepEqual(result, { id: expected });
        }
      }),
      RUNS,
    );
  });

  it('round-trips every hook id through encodeGlobalId, and takes the plain REST id too', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (id) => {
        assert.equal(parseHookId(encodeGlobalId('SystemHook', id), 'SystemHook'), id);
        assert.equal(parseHookId(String(id), 'SystemHook'), id);
      }),
      RUNS,
    );
  });

  it('rejects the global ID of any other type, naming it', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z][A-Za-z0-9:]{0,30}$/).filter((type) => type !== 'SystemHook'),
        fc.integer({ min: 1 }),
        (type, id) => {
          const result = parse(encodeGlobalId(type, id));
          assert.ok('error' in result);
          assert.match(result.error.message, /does not represent an instance of SystemHook$/);
        },
      ),
      RUNS,
    );
  });

  it('quotes at most a bounded prefix of a rejected value', () => {
    const tail = 'TAIL-THAT-MUST-NOT-BE-ECHOED';
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 80, maxLength: 2000 }), (head) => {
        const result = parse(head + tail);
        assert.ok('error' in result);
        assert.ok(!result.error.message.includes(tail), result.error.message);
        // 80 characters, each at most a six-character JSON escape, plus the sentence around them.
        assert.ok(result.error.message.length <= 80 * 6 + 60, `${result.error.message.length} characters`);
      }),
      RUNS,
    );
  });
});

import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { UpstreamError } from '../../src/upstream/errors.ts';
import { type AnswerReading, readAnswer, readText } from '../../src/upstream/response-body.ts';
import { serialized, TOKEN } from './fixtures.ts';

/** A body of `chunks`, which counts how many of them were read. */
function body(...chunks: string[]) {
  let read = 0;
  const stream = new Readable({
    read() {
      const next = chunks[read];
      read += 1;
      this.push(next === undefined ? null : Buffer.from(next));
    },
  });
  return {
    stream,
    get chunksRead() {
      return Math.min(read, chunks.length);
    },
  };
}

const lengthOf = (...chunks: string[]) => ({ 'content-length': String(Buffer.byteLength(chunks.join(''))) });

describe('readText: size-capped reading', () => {
  const cases: [string, string[], boolean, number, string | undefined][] = [
    ['a body under the limit, with its length', ['{"a":', '1}'], true, 10, '{"a":1}'],
    ['a body under the limit, without a length', ['{"a":', '1}'], false, 10, '{"a":1}'],
    ['a body of exactly the limit', ['12345', '67890'], false, 10, '1234567890'],
    ['a body over the limit, with its length', ['12345', '678901'], true, 10, undefined],
    ['a body over the limit, without a length', ['12345', '678901'], false, 10, undefined],
    ['an empty body', [], false, 10, ''],
  ];
  for (const [name, chunks, declared, limit, expected] of cases) {
    it(`${expected === undefined ? 'refuses' : 'reads'} ${name}`, async () => {
      const { stream } = body(...chunks);
      const text = await readText(stream, declared ? lengthOf(...chunks) : {}, limit);
      assert.equal(text, expected);
      // Read to its end, a body frees its connection for the next request; refused, it is destroyed.
      assert.equal(stream.readableEnded, expected !== undefined);
      assert.ok(stream.destroyed);
    });
  }

  it('decodes a character split across chunks', async () => {
    const euro = Buffer.from('"€"');
    const stream = Readable.from([euro.subarray(0, 2), euro.subarray(2)]);
    assert.equal(await readText(stream, {}, 10), '"€"');
  });

  it('destroys a body that declares too much without reading any of it', async () => {
    const tracked = body('x'.repeat(100));
    assert.equal(await readText(tracked.stream, { 'content-length': '100' }, 10), undefined);
    assert.equal(tracked.chunksRead, 0);
    assert.ok(tracked.stream.destroyed);
  });

  it('stops reading at the chunk that crosses the limit', async () => {
    const tracked = body('12345', '67890', 'abcde', 'fghij');
    assert.equal(await readText(tracked.stream, {}, 12), undefined);
    assert.ok(tracked.chunksRead < 4, `read ${tracked.chunksRead} chunks`);
    assert.ok(tracked.stream.destroyed);
  });
});

const json: AnswerReading = {
  expects: 'json',
  route: 'GET /hooks/:hook_id',
  maxResponseBytes: 1_000,
  redact: [],
};

describe('readAnswer', () => {
  it('parses the JSON of a success', async () => {
    const answer = await readAnswer(
      { statusCode: 200, headers: { 'x-page': '1' }, body: body('{"id":1}').stream },
      json,
    );
    assert.deepEqual(answer, { status: 200, headers: { 'x-page': '1' }, json: { id: 1 } });
  });

  it('reads and ignores the body of a no-content success', async () => {
    const { stream } = body('{"ignored":true}');
    const answer = await readAnswer(
      { statusCode: 204, headers: {}, body: stream },
      { ...json, expects: 'no-content' },
    );
    assert.equal(answer.json, undefined);
    assert.ok(stream.readableEnded);
  });

  const refused: [string, number, Record<string, string>, string[], AnswerReading, RegExp][] = [
    ['a success that is not JSON', 200, {}, ['<html>'], json, /not JSON \(GET \/hooks\/:hook_id\)/],
    [
      'a success larger than maxResponseBytes',
      200,
      {},
      ['[', ' '.repeat(20), ']'],
      { ...json, maxResponseBytes: 10 },
      /at most 10 bytes/,
    ],
    ['an error answer', 422, {}, ['{"message":{"url":["is blocked"]}}'], json, /Url is blocked/],
  ];
  for (const [name, statusCode, headers, chunks, reading, message] of refused) {
    it(`fails on ${name} and destroys the body`, async () => {
      const { stream } = body(...chunks);
      await assert.rejects(readAnswer({ statusCode, headers, body: stream }, reading), (error) => {
        assert.ok(error instanceof UpstreamError);
        assert.match(error.message, message);
        return true;
      });
      assert.ok(stream.destroyed);
    });
  }

  it('maps an error answer with the token kept out, even when GitLab echoes it', async () => {
    const { stream } = body(JSON.stringify({ message: `401 Unauthorized: ${TOKEN}` }));
    const error = await readAnswer(
      { statusCode: 401, headers: {}, body: stream },
      { ...json, redact: [TOKEN] },
    ).catch((thrown: unknown) => thrown);
    assert.ok(error instanceof UpstreamError);
    assert.equal(error.code, 'UNAUTHENTICATED');
    assert.ok(!serialized(error).includes(TOKEN));
  });

  it('reads no more of an error answer than a short bound, and still maps its status', async () => {
    const { stream } = body('{"message":"', 'x'.repeat(70 * 1024), '"}');
    const error = await readAnswer(
      { statusCode: 403, headers: {}, body: stream },
      {
        ...json,
        maxResponseBytes: 1024 * 1024,
      },
    ).catch((thrown: unknown) => thrown);
    assert.ok(error instanceof UpstreamError);
    assert.equal(error.code, 'FORBIDDEN');
    assert.ok(stream.destroyed);
  });
});

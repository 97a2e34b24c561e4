import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ADMIN_TOKEN } from '../helpers/credentials.ts';
import { useEmbeddedGitLab } from './helpers.ts';

const EXTERNAL = 'https://gitlab.example.com';
const link = (query: string, rel: string) => `<${EXTERNAL}/api/v4/hooks?${query}>; rel="${rel}"`;

describe('GET /hooks pagination', () => {
  const t = useEmbeddedGitLab({ externalUrl: EXTERNAL });
  let ids: number[] = [];
  before(async () => {
    ids = await t.gitlab.seed(Array.from({ length: 45 }, (_, i) => ({ url: `http://example.com/${i}` })));
  });

  const headersOf = (headers: Headers) => ({
    page: headers.get('x-page'),
    perPage: headers.get('x-per-page'),
    next: headers.get('x-next-page'),
    prev: headers.get('x-prev-page'),
    total: headers.get('x-total'),
    totalPages: headers.get('x-total-pages'),
  });

  it('returns the first 20 hooks by id with the pagination headers', async () => {
    const answer = await t.call('GET', '/hooks');
    assert.equal(answer.status, 200);
    assert.deepEqual(
      answer.body.map((hook: { id: number }) => hook.id),
      ids.slice(0, 20),
    );
    assert.deepEqual(headersOf(answer.headers), {
      page: '1',
      perPage: '20',
      next: '2',
      prev: '',
      total: '45',
      totalPages: '3',
    });
    assert.equal(
      answer.headers.get('link'),
      [
        link('page=2&per_page=20', 'next'),
        link('page=1&per_page=20', 'first'),
        link('page=3&per_page=20', 'last'),
      ].join(', '),
    );
  });

  it('gives previous and next links in the middle', async () => {
    const answer = await t.call('GET', '/hooks?per_page=10&page=3');
    assert.deepEqual(
      answer.body.map((hook: { id: number }) => hook.id),
      ids.slice(20, 30),
    );
    assert.deepEqual(headersOf(answer.headers), {
      page: '3',
      perPage: '10',
      next: '4',
      prev: '2',
      total: '45',
      totalPages: '5',
    });
    assert.equal(
      answer.headers.get('link'),
      [
        link('page=2&per_page=10', 'prev'),
        link('page=4&per_page=10', 'next'),
        link('page=1&per_page=10', 'first'),
        link('page=5&per_page=10', 'last'),
      ].join(', '),
    );
  });

  it('has no next page on the last page', async () => {
    const answer = await t.call('GET', '/hooks?page=3');
    assert.equal(answer.body.length, 5);
    assert.equal(answer.headers.get('x-next-page'), '');
    assert.equal(answer.headers.get('x-prev-page'), '2');
  });

  it('answers an empty page beyond the last, without prev or next', async () => {
    const answer = await t.call('GET', '/hooks?page=9');
    assert.deepEqual(answer.body, []);
    assert.equal(answer.headers.get('x-page'), '9');
    assert.equal(answer.headers.get('x-next-page'), '');
    assert.equal(answer.headers.get('x-prev-page'), '');
    assert.equal(
      answer.headers.get('link'),
      [link('page=1&per_page=20', 'first'), link('page=3&per_page=20', 'last')].join(', '),
    );
  });

  it('clamps per_page above 100 to 100 but repeats the requested value in links', async () => {
    const answer = await t.call('GET', '/hooks?per_page=150');
    assert.equal(answer.body.length, 45);
    assert.equal(answer.headers.get('x-per-page'), '100');
    assert.equal(answer.headers.get('x-total-pages'), '1');
    assert.match(answer.headers.get('link') ?? '', /per_page=150/);
  });

  it('falls back to 20 for a negative per_page and to page 1 below 1', async () => {
    const negative = await t.call('GET', '/hooks?per_page=-5');
    assert.equal(negative.headers.get('x-per-page'), '20');
    assert.equal(negative.body.length, 20);
    for (const page of ['0', '-3']) {
      const answer = await t.call('GET', `/hooks?page=${page}`);
      assert.equal(answer.headers.get('x-page'), '1');
      assert.equal(answer.body[0].id, ids[0]);
    }
  });

  it('answers 400 for a non-integer page or per_page and for per_page=0', async () => {
    const page = await t.call('GET', '/hooks?page=abc');
    assert.equal(page.status, 400);
    assert.equal(page.text, '{"error":"page is invalid"}');
    const zero = await t.call('GET', '/hooks?per_page=0');
    assert.equal(zero.status, 400);
    assert.equal(zero.text, '{"error":"per_page has a value not allowed"}');
    const both = await t.call('GET', '/hooks?page=1.5&per_page=x');
    assert.deepEqual(both.body, { error: 'page is invalid, per_page is invalid' });
  });

  it('keeps other query parameters in links, sorted, but never private_token', async () => {
    const answer = await t.call('GET', `/hooks?zeta=1&per_page=40&alpha=a+b&private_token=${ADMIN_TOKEN}`, {
      token: null,
    });
    assert.equal(answer.status, 200);
    assert.equal(
      answer.headers.get('link'),
      [
        link('alpha=a+b&page=2&per_page=40&zeta=1', 'next'),
        link('alpha=a+b&page=1&per_page=40&zeta=1', 'first'),
        link('alpha=a+b&page=2&per_page=40&zeta=1', 'last'),
      ].join(', '),
    );
  });
});

describe('GET /hooks pagination with no hooks', () => {
  const t = useEmbeddedGitLab();

  it('reports one page and links to it, on its own listening URL', async () => {
    const answer = await t.call('GET', '/hooks');
    assert.deepEqual(answer.body, []);
    assert.equal(answer.headers.get('x-total'), '0');
    assert.equal(answer.headers.get('x-total-pages'), '1');
    assert.equal(answer.headers.get('x-next-page'), '');
    const first = `<${t.gitlab.url}/api/v4/hooks?page=1&per_page=20>`;
    assert.equal(answer.headers.get('link'), `${first}; rel="first", ${first}; rel="last"`);
  });
});

describe('GET /hooks pagination above 10,000 hooks', () => {
  const t = useEmbeddedGitLab();
  before(async () => {
    await t.gitlab.seed(Array.from({ length: 10_001 }, () => ({ url: 'http://example.com/many' })));
  });

  it('omits X-Total, X-Total-Pages and the last link', async () => {
    const answer = await t.call('GET', '/hooks?per_page=100&page=2');
    assert.equal(answer.body.length, 100);
    assert.equal(answer.headers.get('x-total'), null);
    assert.equal(answer.headers.get('x-total-pages'), null);
    assert.equal(answer.headers.get('x-next-page'), '3');
    assert.doesNotMatch(answer.headers.get('link') ?? '', /rel="last"/);
    assert.match(answer.headers.get('link') ?? '', /rel="first"/);
  });
});

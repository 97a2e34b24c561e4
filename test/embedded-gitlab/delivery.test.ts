import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  type DeliverableHook,
  DeliveryAgents,
  type DeliveryOptions,
  deliverHook,
} from '../../src/embedded-gitlab/delivery.ts';
import { createEmbeddedGitLab, type EmbeddedGitLab } from '../../src/embedded-gitlab/index.ts';
import { closedPort, type Receiver, startReceiver } from '../helpers/receiver.ts';
import { waitUntil } from '../helpers/wait-until.ts';

const MOCK_DATA = {
  event_name: 'project_create',
  name: 'Ruby',
  path: 'ruby',
  project_id: 1,
  owner_name: 'Someone',
  owner_email: 'example@gitlabhq.com',
};

const agents = new DeliveryAgents();
const OPTIONS: DeliveryOptions = {
  agents,
  timeoutMs: 5_000,
  instanceUrl: 'https://gitlab.example.com',
  gitlabVersion: '18.6.5',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function hookTo(url: string, overrides: Partial<DeliverableHook> = {}): DeliverableHook {
  return { url, token: null, urlVariables: {}, customHeaders: {}, enableSslVerification: true, ...overrides };
}

/** Receivers a single test starts; closed after it, whatever its outcome. */
const extraReceivers: Receiver[] = [];
async function extraReceiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const receiver = await startReceiver(...args);
  extraReceivers.push(receiver);
  return receiver;
}

describe('deliverHook', () => {
  let receiver: Receiver;

  before(async () => {
    receiver = await startReceiver();
  });

  afterEach(async () => {
    receiver.received.length = 0;
    await Promise.all(extraReceivers.splice(0).map((extra) => extra.close()));
  });

  after(async () => {
    await agents.close();
    await receiver.close();
  });

  it("posts the JSON body with exactly GitLab's headers", async () => {
    const result = await deliverHook(hookTo(`${receiver.origin}/hook?source=gitlab`), MOCK_DATA, OPTIONS);

    assert.equal(result.status, 200);
    assert.equal(result.error, null);
    assert.ok(result.durationMs >= 0);
    assert.equal(receiver.received.length, 1);
    const [request] = receiver.received;
    assert.ok(request);
    assert.equal(request.method, 'POST');
    assert.equal(request.target, '/hook?source=gitlab');
    assert.equal(request.body, JSON.stringify(MOCK_DATA));

    const { headers } = request;
    const transport = ['host', 'connection', 'content-length'];
    assert.deepEqual(request.headerNames.filter((name) => !transport.includes(name.toLowerCase())).sort(), [
      'Content-Type',
      'Idempotency-Key',
      'User-Agent',
      'X-Gitlab-Event',
      'X-Gitlab-Event-UUID',
      'X-Gitlab-Instance',
      'X-Gitlab-Webhook-UUID',
    ]);
    assert.equal(headers['content-type'], 'application/json');
    assert.equal(headers['user-agent'], 'GitLab/18.6.5');
    assert.equal(headers['x-gitlab-event'], 'System Hook');
    assert.equal(headers['x-gitlab-instance'], 'https://gitlab.example.com');
    assert.equal(headers['content-length'], String(Buffer.byteLength(request.body)));
    const uuids = [
      headers['idempotency-key'],
      headers['x-gitlab-webhook-uuid'],
      headers['x-gitlab-event-uuid'],
    ];
    for (const uuid of uuids) assert.match(String(uuid), UUID);
    assert.equal(new Set(uuids).size, 3);
  });

  it('uses new UUIDs for every delivery', async () => {
    await deliverHook(hookTo(receiver.origin), MOCK_DATA, OPTIONS);
    await deliverHook(hookTo(receiver.origin), MOCK_DATA, OPTIONS);

    const [first, second] = receiver.received;
    assert.ok(first && second);
    for (const name of ['idempotency-key', 'x-gitlab-webhook-uuid', 'x-gitlab-event-uuid']) {
      assert.notEqual(first.headers[name], second.headers[name], name);
    }
  });

  it('sends the token with its line breaks removed', async () => {
    await deliverHook(hookTo(receiver.origin, { token: 'sec\r\nret\n-to\rken' }), MOCK_DATA, OPTIONS);

    assert.equal(receiver.received[0]?.headers['x-gitlab-token'], 'secret-token');
  });

  it('sends no X-Gitlab-Token when the hook has no token or a blank one', async () => {
    await deliverHook(hookTo(receiver.origin, { token: null }), MOCK_DATA, OPTIONS);
    await deliverHook(hookTo(receiver.origin, { token: '  ' }), MOCK_DATA, OPTIONS);

    assert.equal(receiver.received.length, 2);
    for (const request of receiver.received) assert.equal(request.headers['x-gitlab-token'], undefined);
  });

  it("sends custom headers, with GitLab's own headers winning whatever their case", async () => {
    const customHeaders = {
      'X-Custom': 'custom value',
      'x-gitlab-event': 'Push Hook',
      'USER-AGENT': 'spoofed',
      'X-Gitlab-Token': 'custom token',
      'Idempotency-Key': 'fixed',
    };
    await deliverHook(hookTo(receiver.origin, { token: 'real token', customHeaders }), MOCK_DATA, OPTIONS);

    const request = receiver.received[0];
    assert.ok(request);
    assert.equal(request.headers['x-custom'], 'custom value');
    assert.equal(request.headers['x-gitlab-event'], 'System Hook');
    assert.equal(request.headers['user-agent'], 'GitLab/18.6.5');
    assert.equal(request.headers['x-gitlab-token'], 'real token');
    assert.match(String(request.headers['idempotency-key']), UUID);
    const names = request.headerNames.map((name) => name.toLowerCase());
    for (const name of ['x-gitlab-event', 'user-agent', 'x-gitlab-token', 'idempotency-key']) {
      assert.equal(names.filter((sent) => sent === name).length, 1, `${name} sent once`);
    }
  });

  it('keeps a custom X-Gitlab-Token when the hook itself has no token', async () => {
    const hook = hookTo(receiver.origin, { customHeaders: { 'X-Gitlab-Token': 'from a custom header' } });
    await deliverHook(hook, MOCK_DATA, OPTIONS);

    assert.equal(receiver.received[0]?.headers['x-gitlab-token'], 'from a custom header');
  });

  it('ignores custom headers that would change the connection or the message framing', async () => {
    const customHeaders = { 'Content-Length': '1', Connection: 'upgrade', 'Transfer-Encoding': 'gzip' };
    const result = await deliverHook(hookTo(receiver.origin, { customHeaders }), MOCK_DATA, OPTIONS);

    assert.equal(result.status, 200);
    const request = receiver.received[0];
    assert.ok(request);
    assert.equal(request.body, JSON.stringify(MOCK_DATA));
    assert.equal(request.headers['transfer-encoding'], undefined);
  });

  it('interpolates URL variables, leaving the % of %{name} in place', async () => {
    const hook = hookTo(`${receiver.origin}/{path}/%{path}?key={key}`, {
      urlVariables: { path: 'abc', key: 'value' },
    });
    const result = await deliverHook(hook, MOCK_DATA, OPTIONS);

    assert.equal(result.status, 200);
    assert.equal(receiver.received[0]?.target, '/abc/%abc?key=value');
  });

  it('interpolates URL variables in the host and port', async () => {
    const hook = hookTo('http://{host}:{port}/hook', {
      urlVariables: { host: '127.0.0.1', port: String(receiver.port) },
    });
    const result = await deliverHook(hook, MOCK_DATA, OPTIONS);

    assert.equal(result.status, 200);
    assert.equal(receiver.received[0]?.target, '/hook');
  });

  it('falls back to the raw URL when a variable is missing, which GitLab cannot parse: no request', async () => {
    const hook = hookTo(`${receiver.origin}/{missing}`, { urlVariables: { other: 'x' } });
    const result = await deliverHook(hook, MOCK_DATA, OPTIONS);

    assert.deepEqual({ status: result.status, error: result.error }, { status: null, error: 'Invalid URL' });
    assert.equal(receiver.received.length, 0);
  });

  it('turns userinfo into Basic auth with percent-decoded values, and keeps it out of the URL', async () => {
    const url = `http://us%C3%A9r:pa%40ss%3Aword@127.0.0.1:${receiver.port}/hook`;
    const result = await deliverHook(hookTo(url), MOCK_DATA, OPTIONS);

    assert.equal(result.status, 200);
    const request = receiver.received[0];
    assert.ok(request);
    assert.equal(request.target, '/hook');
    assert.equal(request.headers.host, `127.0.0.1:${receiver.port}`);
    const expected = `Basic ${Buffer.from('usér:pa@ss:word', 'utf8').toString('base64')}`;
    assert.equal(request.headers.authorization, expected);
  });

  it('decodes userinfo like CGI.unescape, where + is a space', async () => {
    const url = `http://a+b:100%25+sure@127.0.0.1:${receiver.port}/`;
    await deliverHook(hookTo(url), MOCK_DATA, OPTIONS);

    const expected = `Basic ${Buffer.from('a b:100% sure').toString('base64')}`;
    assert.equal(receiver.received[0]?.headers.authorization, expected);
  });

  it('lets userinfo credentials win over a custom Authorization header', async () => {
    const hook = hookTo(`http://user:pass@127.0.0.1:${receiver.port}/`, {
      customHeaders: { Authorization: 'Bearer custom' },
    });
    await deliverHook(hook, MOCK_DATA, OPTIONS);

    assert.equal(receiver.received[0]?.headers.authorization, `Basic ${btoa('user:pass')}`);
  });

  it('sends a custom Authorization header when the URL has no userinfo', async () => {
    const hook = hookTo(receiver.origin, { customHeaders: { Authorization: 'Bearer custom' } });
    await deliverHook(hook, MOCK_DATA, OPTIONS);

    assert.equal(receiver.received[0]?.headers.authorization, 'Bearer custom');
  });

  it('returns the status of a receiver that answers 500, without an error', async () => {
    const failing = await extraReceiver({
      answer: (_request, res) => {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"boom"}');
      },
    });
    const result = await deliverHook(hookTo(failing.origin), MOCK_DATA, OPTIONS);

    assert.equal(result.status, 500);
    assert.equal(result.error, null);
  });

  it('gives up on a receiver that accepts the request and never answers', async () => {
    const silent = await extraReceiver({ answer: () => {} });
    const result = await deliverHook(hookTo(silent.origin), MOCK_DATA, { ...OPTIONS, timeoutMs: 300 });

    assert.equal(silent.received.length, 1);
    assert.equal(result.status, null);
    assert.equal(result.error, 'Timed out after 300 ms');
    assert.ok(result.durationMs >= 250, `took ${result.durationMs} ms`);
    assert.ok(result.durationMs < 5_000, `took ${result.durationMs} ms`);
  });

  it('gives up on a receiver that sends its headers and then stalls the body', async () => {
    const stalling = await extraReceiver({
      answer: (_request, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial');
      },
    });
    const result = await deliverHook(hookTo(stalling.origin), MOCK_DATA, { ...OPTIONS, timeoutMs: 300 });

    assert.deepEqual(
      { status: result.status, error: result.error },
      { status: null, error: 'Timed out after 300 ms' },
    );
  });

  it('reports a refused connection', async () => {
    const port = await closedPort();
    const result = await deliverHook(hookTo(`http://127.0.0.1:${port}/hook`), MOCK_DATA, OPTIONS);

    assert.deepEqual(
      { status: result.status, error: result.error },
      { status: null, error: 'Connection refused' },
    );
  });

  it('reports a receiver that drops the connection without answering', async () => {
    const rude = await extraReceiver({
      answer: (_request, res) => {
        res.socket?.destroy();
      },
    });
    const result = await deliverHook(hookTo(rude.origin), MOCK_DATA, OPTIONS);

    assert.equal(result.status, null);
    assert.match(String(result.error), /^Connection (closed|reset) by the receiver$/);
  });

  it('does not follow a redirect', async () => {
    const target = await extraReceiver();
    const redirecting = await extraReceiver({
      answer: (_request, res) => {
        res.writeHead(302, { location: `${target.origin}/elsewhere` }).end();
      },
    });
    const hook = hookTo(redirecting.origin, { token: 'secret' });
    const result = await deliverHook(hook, MOCK_DATA, OPTIONS);

    assert.equal(result.status, 302);
    assert.equal(result.error, null);
    assert.equal(redirecting.received.length, 1);
    // Following the redirect would have come before deliverHook's result; it resolved with the 302.
    assert.equal(target.received.length, 0);
  });

  it('reads only a bounded part of a huge response body and closes the connection', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    const totalBytes = 64 * chunk.length;
    let writtenBytes = 0;
    let connectionClosed = false;
    const huge = await extraReceiver({
      answer: (_request, res) => {
        res.on('close', () => {
          connectionClosed = true;
        });
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const pump = () => {
          while (writtenBytes < totalBytes && !connectionClosed) {
            writtenBytes += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        pump();
      },
    });
    const result = await deliverHook(hookTo(huge.origin), MOCK_DATA, OPTIONS);

    assert.equal(result.status, 200);
    assert.equal(result.error, null);
    await waitUntil('the receiver sees the connection close', () => connectionClosed, { withinMs: 2_000 });
    assert.ok(connectionClosed, 'the receiver saw the connection close');
    assert.ok(writtenBytes < totalBytes, `the receiver wrote ${writtenBytes} of ${totalBytes} bytes`);
  });

  it('reads a whole response body that fits the limit', async () => {
    const sized = await extraReceiver({
      answer: (_request, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('y'.repeat(8 * 1024 - 1));
      },
    });
    const result = await deliverHook(hookTo(sized.origin), MOCK_DATA, OPTIONS);

    assert.equal(result.status, 200);
  });

  it('rejects a self-signed certificate when SSL verification is enabled', async () => {
    const secure = await extraReceiver({ tls: true });
    const result = await deliverHook(
      hookTo(secure.origin, { enableSslVerification: true }),
      MOCK_DATA,
      OPTIONS,
    );

    assert.equal(result.status, null);
    assert.match(String(result.error), /^TLS error \(/);
    assert.equal(secure.received.length, 0);
  });

  it('accepts a self-signed certificate when SSL verification is disabled', async () => {
    const secure = await extraReceiver({ tls: true });
    const hook = hookTo(`${secure.origin}/tls`, { enableSslVerification: false, token: 't' });
    const result = await deliverHook(hook, MOCK_DATA, OPTIONS);

    assert.equal(result.status, 200);
    assert.equal(result.error, null);
    assert.equal(secure.received[0]?.target, '/tls');
    assert.equal(secure.received[0]?.headers['x-gitlab-token'], 't');
  });

  it('reports a TLS error for an https URL that points at a plain-HTTP receiver', async () => {
    const result = await deliverHook(hookTo(`https://127.0.0.1:${receiver.port}/`), MOCK_DATA, OPTIONS);

    assert.equal(result.status, null);
    assert.match(String(result.error), /^TLS error \(/);
  });

  it('makes no request for a URL that is not http or https, or not a URL', async () => {
    for (const url of [
      'ftp://127.0.0.1/hook',
      'file:///etc/passwd',
      'herp-and-derp',
      `${receiver.origin}/a b`,
    ]) {
      const result = await deliverHook(hookTo(url), MOCK_DATA, OPTIONS);
      assert.equal(result.status, null, url);
      assert.ok(result.error, url);
    }
    assert.equal(receiver.received.length, 0);
  });

  it('never rejects, even for a payload JSON cannot represent', async () => {
    const result = await deliverHook(hookTo(receiver.origin), { big: 1n }, OPTIONS);

    assert.equal(result.status, null);
    assert.equal(result.error, 'Payload is not serialisable as JSON');
    assert.equal(receiver.received.length, 0);
  });

  it('delivers again after the agents were closed', async () => {
    await deliverHook(hookTo(receiver.origin), MOCK_DATA, OPTIONS);
    await agents.close();
    const result = await deliverHook(hookTo(receiver.origin), MOCK_DATA, OPTIONS);

    assert.equal(result.status, 200);
    assert.equal(receiver.received.length, 2);
  });
});

describe('POST /api/v4/hooks/:id on the embedded GitLab', () => {
  const adminToken = 'glpat-delivery-admin-0001';
  let gitlab: EmbeddedGitLab;
  let api: string;
  let receiver: Receiver;

  before(async () => {
    receiver = await startReceiver();
    gitlab = createEmbeddedGitLab({
      adminToken,
      userToken: 'glpat-delivery-user-0002',
      allowLocalRequestsFromWebHooksAndServices: true,
    });
    api = `${await gitlab.listen()}/api/v4`;
  });

  after(async () => {
    await gitlab.close();
    await receiver.close();
  });

  async function call(method: string, path: string, body?: unknown) {
    const response = await fetch(`${api}${path}`, {
      method,
      headers: { 'private-token': adminToken, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('delivers the mock data with the hook token, URL variables and custom headers, and answers 201', async () => {
    const created = await call('POST', '/hooks', {
      url: `${receiver.origin}/{path}`,
      token: 'hook-token',
      url_variables: [{ key: 'path', value: 'system-hooks' }],
      custom_headers: [
        { key: 'X-Receiver-Key', value: 'custom' },
        { key: 'X-Gitlab-Event', value: 'Spoofed' },
      ],
    });
    assert.equal(created.status, 201);

    const tested = await call('POST', `/hooks/${created.body.id}`);

    assert.equal(tested.status, 201);
    assert.deepEqual(tested.body, MOCK_DATA);
    assert.deepEqual(Object.keys(tested.body), Object.keys(MOCK_DATA));
    assert.equal(receiver.received.length, 1);
    const request = receiver.received[0];
    assert.ok(request);
    assert.equal(request.method, 'POST');
    assert.equal(request.target, '/system-hooks');
    assert.deepEqual(JSON.parse(request.body), MOCK_DATA);
    assert.equal(request.headers['x-gitlab-token'], 'hook-token');
    assert.equal(request.headers['x-gitlab-event'], 'System Hook');
    assert.equal(request.headers['x-receiver-key'], 'custom');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.match(String(request.headers['user-agent']), /^GitLab\//);
    assert.match(String(request.headers['x-gitlab-instance']), /^https?:\/\//);
    for (const name of ['idempotency-key', 'x-gitlab-webhook-uuid', 'x-gitlab-event-uuid']) {
      assert.match(String(request.headers[name]), UUID, name);
    }
  });

  it('answers 201 with the mock data even when the receiver cannot be reached', async () => {
    const port = await closedPort();
    const created = await call('POST', '/hooks', { url: `http://127.0.0.1:${port}/gone` });
    assert.equal(created.status, 201);

    const tested = await call('POST', `/hooks/${created.body.id}`);

    assert.equal(tested.status, 201);
    assert.deepEqual(tested.body, MOCK_DATA);
  });
});

import { request } from 'node:http';

/** An HTTP answer, read whole. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * Sends `parts` chunked (no Content-Length), ending the request only if `end`; resolves on the answer, which a
 * server may give before the body ends (a 413 or 401 does).
 */
export function postChunked(
  url: string,
  headers: Record<string, string>,
  parts: string[],
  end = true,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          headers: new Headers(res.headers as Record<string, string>),
          text,
        });
        req.destroy();
      });
    });
    req.on('error', reject);
    for (const part of parts) req.write(part);
    if (end) req.end();
  });
}

import type { Plugin } from 'graphql-yoga';
import { readAtMost } from '../../http/request-body.ts';
import { gatewayError } from '../errors.ts';

const tooLarge = () =>
  gatewayError('REQUEST_ENTITY_TOO_LARGE', 'Request body too large', { http: { status: 413 } });

/**
 * Refuses request bodies over `limit` bytes with 413.
 *
 * Replaces Yoga's `maxRequestBodySize`, which pipes every body through a byte-counting `TransformStream` (a
 * measurable share of the gateway's CPU per request, and an `AbortError` created each time the pipeline ends; see
 * docs/performance.md). A body that announces its size in `Content-Length` needs no counting: Node's HTTP parser
 * delivers exactly that many bytes and refuses a request that also says `Transfer-Encoding`, so the announced
 * size is checked once. Only a chunked body, whose size is learnt by reading, is counted as it arrives. It can
 * go when Yoga's limit trusts a declared `Content-Length` the same way.
 *
 * Yoga's own limit must be off (`maxRequestBodySize: false`), and this plugin must come after every plugin
 * that registers a request parser, so that it wraps whichever parser was chosen.
 */
export function useRequestBodyLimit(limit: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const contentLength = request.headers.get('content-length');
      if (contentLength !== null) {
        if (!/^\d+$/.test(contentLength)) {
          throw gatewayError('BAD_REQUEST', 'Content-Length header is invalid.', { http: { status: 400 } });
        }
        if (Number(contentLength) > limit) throw tooLarge();
        return;
      }
      if (!requestParser || !request.body) return;
      const parse = requestParser;
      setRequestParser(async (chunked) => {
        const body = await readAtMost(chunked.body, limit);
        if (body === null) throw tooLarge();
        return parse(
          new fetchAPI.Request(chunked.url, {
            method: chunked.method,
            headers: chunked.headers,
            signal: chunked.signal,
            body,
          }),
        );
      });
    },
  };
}

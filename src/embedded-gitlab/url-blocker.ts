/**
 * The parts of `Gitlab::UrlBlocker` that hook URL validation depends on (`SystemHookUrlValidator` for the stored
 * URL, `PublicUrlValidator` for the interpolated URL of a hook with URL variables).
 *
 * Only literal hosts are checked: `localhost`, `*.localhost` and IP literals. GitLab also resolves host names and
 * checks every address; this server makes no DNS lookups, so a name that resolves to a private address passes.
 */

export interface UrlCheckOptions {
  /** `allow_localhost` and `allow_local_network` together, as both application settings set them. */
  allowLocal: boolean;
}

/** Ruby's `String#strip`: ASCII whitespace and NUL only, unlike `String.prototype.trim`. */
export function rubyStrip(text: string): string {
  return text.replace(/^[\t\n\v\f\r \0]+|[\t\n\v\f\r \0]+$/g, '');
}

/** Returns UrlBlocker's reason for refusing `raw`, or null when it is acceptable. */
export function urlBlockedReason(raw: string, options: UrlCheckOptions): string | null {
  // Addressable needs `scheme://`; WHATWG URL would also accept `http:example.com`.
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(raw)) return 'URI is invalid';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'URI is invalid';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'Only allowed schemes are http, https';
  if (url.hostname === '') return 'Hostname or IP address invalid';
  if (options.allowLocal) return null;
  return localAddressReason(url.hostname);
}

function localAddressReason(hostname: string): string | null {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return 'Requests to localhost are not allowed';
  if (host.startsWith('[')) {
    const groups = parseIpv6(host.slice(1, -1));
    return groups === null ? null : ipv6Reason(groups);
  }
  // WHATWG URL has already turned `2130706433`, `0x7f.1` and friends into dotted decimal.
  const octets = host.split('.');
  if (octets.length !== 4 || !octets.every((part) => /^\d{1,3}$/.test(part))) return null;
  return ipv4Reason(octets.map(Number) as [number, number, number, number]);
}

function ipv4Reason([a, b, c, d]: [number, number, number, number]): string | null {
  // UrlBlocker compares with the machine's own addresses ("localhost") before the loopback range.
  if ((a === 0 && b === 0 && c === 0 && d === 0) || (a === 127 && b === 0 && c === 0 && d === 1)) {
    return 'Requests to localhost are not allowed';
  }
  if (a === 127) return 'Requests to loopback addresses are not allowed';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) {
    return 'Requests to the local network are not allowed';
  }
  if (a === 169 && b === 254) return 'Requests to the link local network are not allowed';
  if (a === 100 && b >= 64 && b <= 127) return 'Requests to the shared address space are not allowed';
  if (a === 255 && b === 255 && c === 255 && d === 255) {
    return 'Requests to the limited broadcast address are not allowed';
  }
  return null;
}

function ipv6Reason(groups: number[]): string | null {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  const upperZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (upperZero && g5 === 0 && g6 === 0 && (g7 === 0 || g7 === 1))
    return 'Requests to localhost are not allowed';
  if (upperZero && g5 === 0xffff) return ipv4Reason([g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff]);
  if ((g0 & 0xffc0) === 0xfe80) return 'Requests to the link local network are not allowed';
  if ((g0 & 0xfe00) === 0xfc00 || (g0 & 0xffc0) === 0xfec0)
    return 'Requests to the local network are not allowed';
  return null;
}

/** Expands the compressed hexadecimal form WHATWG URL serializes IPv6 hosts to. */
function parseIpv6(text: string): number[] | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string | undefined) =>
    part ? part.split(':').map((group) => Number.parseInt(group, 16)) : [];
  const head = parse(halves[0]);
  const tail = parse(halves[1]);
  const groups =
    halves.length === 2
      ? [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail]
      : head;
  return groups.length === 8 && groups.every((group) => Number.isInteger(group)) ? groups : null;
}

import { isIP, isIPv4 } from 'node:net';
import { parseAllowList } from './allow-list.ts';

/**
 * Which `Host` a request may name, against DNS rebinding: a page on a name its author controls
 * (`rebind.example`) can make that name resolve to 127.0.0.1 or a LAN address, and the browser then treats the
 * gateway as that page's own site, with no CORS or Origin check in the way. The gateway therefore answers only
 * the names it is known by:
 *
 * - any IP literal, which no DNS answer can rebind (webpack-dev-server's `allowedHosts: 'auto'` relies on the
 *   same);
 * - `localhost` and `*.localhost`, which resolve to loopback by definition (RFC 6761) and which nobody can
 *   register;
 * - the `HOST` it listens on, when that is a name;
 * - the names listed in `ALLOWED_HOSTS` (an entry starting with a dot, `.example.com`, also allows every name
 *   under it), for a gateway reached through DNS names, as behind a reverse proxy.
 *
 * A request without `Host` passes: browsers, the only clients a web page can drive, always send it.
 */

/** The names every gateway answers to besides IP literals: `localhost` and everything under it. */
const LOOPBACK_NAMES = ['.localhost'] as const;

/** A host name as `ALLOWED_HOSTS` takes it: DNS labels (underscores too, as container names have), or `.` and a name. */
const HOST_PATTERN =
  /^\.?[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/i;

/** Whether `entry` is a name (or `.`-prefixed name) `ALLOWED_HOSTS` accepts. */
export function isHostPattern(entry: string): boolean {
  return entry.length <= 254 && HOST_PATTERN.test(entry);
}

/**
 * `ALLOWED_HOSTS`' entries, in lower case: host names, so that a DNS name the operator did not list cannot be
 * pointed at the gateway, and never `*`.
 */
export function parseAllowedHosts(entries: readonly string[]): { value: string[]; problems: string[] } {
  const { value, problems } = parseAllowList(entries, {
    name: 'ALLOWED_HOSTS',
    wildcard: 'host names, not "*": any web page could then reach the gateway through DNS rebinding',
    expected:
      'host names such as gateway.example.com, or .example.com for every name under it (no scheme, port or path)',
    accepts: isHostPattern,
  });
  return { value: value.map((name) => name.toLowerCase()), problems };
}

/** Whether `HOST` is a loopback address or name, so that only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  const address = unmapped(host.replace(/^\[(.*)\]$/, '$1').toLowerCase());
  if (isIPv4(address)) return address.startsWith('127.');
  if (isIP(address) === 6) return address === '::1';
  return nameMatches(address.replace(/\.$/, ''), LOOPBACK_NAMES);
}

/** A `Host` header split into its host (lower case, brackets and one trailing dot removed) and its port. */
interface HostHeader {
  host: string;
  ip: boolean;
  port: number | undefined;
}

function parseHostHeader(value: string): HostHeader | undefined {
  // Strict on purpose: no userinfo, path or anything a URL parser would quietly drop or reinterpret.
  const match = /^(?:\[([0-9a-f:.]+)\]|([^:[\]/@\s]+))(?::([0-9]{1,5}))?$/i.exec(value);
  if (!match) return undefined;
  const [, bracketed, name, port] = match;
  if (bracketed !== undefined && isIP(bracketed) !== 6) return undefined;
  const host = (bracketed ?? (name as string)).toLowerCase().replace(/\.$/, '');
  return {
    host: bracketed === undefined ? host : unmapped(host),
    ip: bracketed !== undefined || isIPv4(host),
    port: port === undefined ? undefined : Number(port),
  };
}

/** An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, as a dual-stack socket reports IPv4 peers) as IPv4. */
function unmapped(address: string): string {
  const match = /^::ffff:([0-9.]+)$/i.exec(address);
  return match && isIPv4(match[1] as string) ? (match[1] as string) : address;
}

function nameMatches(host: string, names: readonly string[]): boolean {
  return names.some((name) =>
    name.startsWith('.') ? host === name.slice(1) || host.endsWith(name) : host === name,
  );
}

/** Where a connection arrived: the local address and port of its socket, never anything the client said. */
export interface ArrivedAt {
  localAddress?: string | undefined;
  localPort?: number | undefined;
}

/** The Host allow-list of one gateway, and the origins it takes as its own. */
export interface HostAllowList {
  /** Whether a request's `Host` header names this gateway. */
  allowsHost(host: string | undefined): boolean;
  /**
   * Whether a browser `Origin` is a page of this gateway's own: an allowed name (not just any IP literal) at
   * the port the connection arrived on or at the scheme's default port (a reverse proxy's), or exactly the
   * address and port the connection arrived on. Never judged from the request's `Host`.
   */
  ownsOrigin(origin: string, arrivedAt: ArrivedAt): boolean;
}

export interface HostAllowListOptions {
  /** `ALLOWED_HOSTS`: names (or `.`-prefixed names) besides the loopback ones. @default none */
  allowedHosts?: readonly string[] | undefined;
  /** `HOST`, the address the gateway listens on; allowed too when it is a name. @default none */
  listenHost?: string | undefined;
}

export function createHostAllowList(options: HostAllowListOptions = {}): HostAllowList {
  const names: string[] = [
    ...LOOPBACK_NAMES,
    ...(options.allowedHosts ?? []).map((name) => name.toLowerCase()),
  ];
  const listenHost = options.listenHost?.toLowerCase().replace(/\.$/, '');
  if (listenHost !== undefined && listenHost !== '' && isIP(listenHost) === 0) names.push(listenHost);

  return {
    allowsHost(value) {
      if (value === undefined) return true;
      const host = parseHostHeader(value);
      return host !== undefined && (host.ip || nameMatches(host.host, names));
    },
    ownsOrigin(origin, arrivedAt) {
      const page = pageOrigin(origin);
      if (page === undefined) return false;
      const { host } = page;
      if (host.ip) {
        const local = arrivedAt.localAddress && unmapped(arrivedAt.localAddress.toLowerCase());
        return host.host === local && (host.port ?? page.defaultPort) === arrivedAt.localPort;
      }
      // The URL parser leaves out a default port: such an origin is the name as a reverse proxy serves it.
      return nameMatches(host.host, names) && (host.port === undefined || host.port === arrivedAt.localPort);
    },
  };
}

/** A browser `Origin` that is exactly an http or https origin: its host, and its scheme's default port. */
function pageOrigin(origin: string): { host: HostHeader; defaultPort: number } | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== origin) return undefined;
  const host = parseHostHeader(url.host);
  return host && { host, defaultPort: url.protocol === 'https:' ? 443 : 80 };
}

import { BlockList, isIP } from 'node:net';

/** What an address exposes a service to: this host, a private network, every interface, or the internet. */
export type AddressScope = 'loopback' | 'private' | 'unspecified' | 'public';

type Family = 'ipv4' | 'ipv6';
interface Range {
  network: string;
  prefix: number;
  family: Family;
}

const LOOPBACK: Range[] = [
  { network: '127.0.0.0', prefix: 8, family: 'ipv4' },
  { network: '::1', prefix: 128, family: 'ipv6' },
];

/** RFC 1918, RFC 6598 (carrier-grade NAT, which VPN meshes such as Tailscale use) and RFC 4193 (unique local IPv6). */
export const PRIVATE_RANGES: Range[] = [
  { network: '10.0.0.0', prefix: 8, family: 'ipv4' },
  { network: '172.16.0.0', prefix: 12, family: 'ipv4' },
  { network: '192.168.0.0', prefix: 16, family: 'ipv4' },
  { network: '100.64.0.0', prefix: 10, family: 'ipv4' },
  { network: 'fc00::', prefix: 7, family: 'ipv6' },
];

const familyOf = (address: string): Family | undefined => ({ 4: 'ipv4', 6: 'ipv6' } as const)[isIP(address) as 4 | 6];

function inRange(address: string, range: Range): boolean {
  const family = familyOf(address);
  if (family !== range.family) return false;
  const list = new BlockList();
  list.addSubnet(range.network, range.prefix, range.family);
  return list.check(address, family);
}

export const formatRange = (range: Range): string => `${range.network}/${range.prefix}`;

export function addressScope(address: string): AddressScope {
  if (address === '0.0.0.0' || /^[0:]+$/.test(address)) return 'unspecified';
  if (LOOPBACK.some((range) => inRange(address, range))) return 'loopback';
  return PRIVATE_RANGES.some((range) => inRange(address, range)) ? 'private' : 'public';
}

/** The private range an address belongs to, e.g. 10.0.0.0/8 for 10.1.2.3. */
export function privateRangeOf(address: string): string | undefined {
  const range = PRIVATE_RANGES.find((candidate) => inRange(address, candidate));
  return range && formatRange(range);
}

/** `10.0.0.5:9100` or `[fd00::5]:9100` → its IP address and port; undefined for anything else (a name, no port). */
export function parseListen(listen: string): { address: string; port: number } | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):(\d{1,5})$/.exec(listen);
  const address = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!address || familyOf(address) !== (match?.[1] ? 'ipv6' : 'ipv4') || port < 1 || port > 65535) return undefined;
  return { address, port };
}

/** An address or CIDR range (`10.0.0.0/24`, `fd00::/64`, `10.0.0.9`) that lies inside one private range. */
export function isPrivateRange(text: string): boolean {
  const [address = '', prefixText] = text.split('/');
  const family = familyOf(address);
  if (!family) return false;
  const prefix = prefixText === undefined ? (family === 'ipv4' ? 32 : 128) : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
  const range = PRIVATE_RANGES.find((candidate) => inRange(address, candidate));
  return range !== undefined && prefix >= range.prefix && prefix <= (family === 'ipv4' ? 32 : 128);
}

/** Whether two addresses or ranges are of the same IP version (a ufw rule cannot mix them). */
export const sameFamily = (a: string, b: string): boolean => familyOf(a.split('/')[0] ?? '') === familyOf(b.split('/')[0] ?? '');

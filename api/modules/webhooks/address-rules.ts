import ipaddr from 'ipaddr.js';

/**
 * Cloud instance-metadata services hand out credentials to whoever asks from inside the instance: a webhook
 * must never reach one, not even through a host in WEBHOOK_ALLOW_HOSTS.
 */
const METADATA_ADDRESSES = new Set(
  [
    '169.254.169.254', // AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
    '169.254.170.2', // AWS ECS task metadata
    '169.254.170.23', // AWS EKS pod identity
    '100.100.100.200', // Alibaba Cloud
    '192.0.0.192', // Oracle Cloud Classic
    '168.63.129.16', // Azure WireServer (a public-looking address)
    'fd00:ec2::254', // AWS over IPv6
    'fd00:ec2::23', // AWS EKS pod identity over IPv6
    'fd20:ce::254', // GCP over IPv6
  ].map((address) => ipaddr.parse(address).toNormalizedString()),
);

const RANGE_NAMES: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  uniqueLocal: 'a private address',
  linkLocal: 'a link-local address',
  unspecified: 'the unspecified address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  carrierGradeNat: 'a carrier-grade NAT address',
  reserved: 'a reserved address',
};

export type AddressVerdict = { allowed: true } | { allowed: false; what: string; metadata: boolean };

/**
 * Whether a webhook may connect to this IP address. Only global unicast passes; an IPv4-mapped IPv6 address
 * is judged as the IPv4 address it carries, and other IPv6 forms that embed an IPv4 one (NAT64, 6to4, Teredo)
 * are refused outright, since they can lead anywhere.
 * @param allowedHost the host name is in WEBHOOK_ALLOW_HOSTS: anything but a metadata address passes
 */
export function judgeAddress(address: string, allowedHost = false): AddressVerdict {
  if (!ipaddr.isValid(address)) return { allowed: false, what: 'not an IP address', metadata: false };
  const parsed = ipaddr.process(address);
  if (METADATA_ADDRESSES.has(parsed.toNormalizedString())) return { allowed: false, what: 'a cloud metadata address', metadata: true };
  if (allowedHost) return { allowed: true };
  const range = parsed.range();
  if (range === 'unicast') return { allowed: true };
  return { allowed: false, what: RANGE_NAMES[range] ?? `a special-purpose address (${range})`, metadata: false };
}

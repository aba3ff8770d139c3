import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP, type LookupFunction } from 'node:net'

// Where a webhook may not go unless the allow-list names it: loopback, private, link-local, CGNAT, multicast and
// reserved ranges (cloud metadata at 169.254.169.254 included).
const PRIVATE_V4: [string, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
]
// ::/96 holds the unspecified, loopback and deprecated IPv4-compatible addresses; NAT64, 6to4 and Teredo embed IPv4.
const PRIVATE_V6: [string, number][] = [
  ['::', 96], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 32], ['2001:db8::', 32], ['2002::', 16],
  ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
]

const privateRanges = new BlockList()
for (const [address, prefix] of PRIVATE_V4) privateRanges.addSubnet(address, prefix, 'ipv4')
for (const [address, prefix] of PRIVATE_V6) privateRanges.addSubnet(address, prefix, 'ipv6')

const MAPPED_DOTTED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i
const MAPPED_HEX = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i

/** An IPv4-mapped IPv6 address (::ffff:127.0.0.1, or ::ffff:7f00:1 as URLs write it) is the IPv4 address it maps. */
function unmapped(address: string): string {
  const dotted = MAPPED_DOTTED.exec(address)?.[1]
  if (dotted) return dotted
  const hex = MAPPED_HEX.exec(address)
  if (!hex) return address
  const [high, low] = [Number.parseInt(hex[1]!, 16), Number.parseInt(hex[2]!, 16)]
  return [high >> 8, high & 255, low >> 8, low & 255].join('.')
}

export class AddressRefused extends Error {
  override name = 'AddressRefused'
}

/**
 * Decides which addresses outbound webhooks may reach. Every resolved address of a host is checked, and the
 * connection is made to the address that was checked (the lookup below), so DNS cannot swap in another one.
 */
export class AddressPolicy {
  private readonly hosts = new Set<string>()
  private readonly ranges = new BlockList()

  /** `allowed`: host names, IP addresses or CIDR ranges (WEBHOOK_ALLOWED_HOSTS). */
  constructor(allowed: readonly string[] = []) {
    for (const entry of allowed) {
      const [address, prefix] = entry.split('/') as [string, string | undefined]
      const family = isIP(address)
      if (family === 0) this.hosts.add(address.toLowerCase())
      else if (prefix === undefined) this.ranges.addAddress(address, family === 4 ? 'ipv4' : 'ipv6')
      else this.ranges.addSubnet(address, Number(prefix), family === 4 ? 'ipv4' : 'ipv6')
    }
  }

  /** The host as the allow-list names it (a name, or an IP literal without brackets). */
  allowsHostName(hostname: string): boolean {
    return this.hosts.has(bare(hostname).toLowerCase())
  }

  allowsAddress(address: string): boolean {
    const ip = unmapped(address)
    const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4'
    return this.ranges.check(ip, family) || !privateRanges.check(ip, family)
  }

  /** Why a URL cannot be a webhook target, or undefined when it can (names are checked again when resolved). */
  refusal(url: URL): string | undefined {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http or https URL'
    if (url.username || url.password) return 'must not carry credentials'
    const host = bare(url.hostname)
    if (isIP(host) !== 0 && !this.allowsHostName(host) && !this.allowsAddress(host)) {
      return 'points at a private, loopback or reserved address that WEBHOOK_ALLOWED_HOSTS does not name'
    }
    return undefined
  }

  /** A `lookup` for http.request that refuses a name when any of its addresses is not allowed. */
  lookupFor(hostname: string): LookupFunction {
    const trusted = this.allowsHostName(hostname)
    return (name, options, callback) => {
      dnsLookup(name, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
        if (error) return callback(error, '', 0)
        const refused = trusted ? undefined : addresses.find((a) => !this.allowsAddress(a.address))
        if (refused || addresses.length === 0) {
          const reason = new AddressRefused(`${name} resolves to ${refused?.address ?? 'nothing'}, which is not allowed`)
          return callback(reason, '', 0)
        }
        if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses)
        return callback(null, addresses[0]!.address, addresses[0]!.family)
      })
    }
  }
}

function bare(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
}

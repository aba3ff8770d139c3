import { parsePhoneNumberFromString } from 'libphonenumber-js'

/** `l***@example.com`: the first character, `***`, the domain. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@')
  if (at <= 0) return '***'
  return `${address[0]}***${address.slice(at)}`
}

/** `+86 138****8000`: the country code, the first three digits, `****`, the last four. */
export function maskPhone(number: string): string {
  const parsed = parsePhoneNumberFromString(number)
  const national = parsed?.nationalNumber ?? number.replace(/\D/g, '')
  const country = parsed ? `+${parsed.countryCallingCode} ` : ''
  if (national.length < 8) return `${country}****`
  return `${country}${national.slice(0, 3)}****${national.slice(-4)}`
}

export function maskAddress(channel: 'email' | 'sms', address: string): string {
  return channel === 'email' ? maskEmail(address) : maskPhone(address)
}

/** An error text with the recipient's address masked: a receiver's refusal often quotes it. */
export function scrubbed(text: string, channel: 'email' | 'sms', address: string): string {
  return text.split(address).join(maskAddress(channel, address))
}

// @vitest-environment node
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { customerTokenOrNull, MAX_CUSTOMER_TOKEN_LENGTH, signCustomerToken } from '../server';

/**
 * The customer-token format as Affinity documents it, written out again from its description
 * rather than taken from the code under test: "v1." + exp + "." + cid + "." + sig, exp in unix seconds, cid = base64url(customer id
 * UTF-8) without padding, sig = base64url(HMAC-SHA256(secret UTF-8, "v1." + exp + "." + cid))
 * without padding; refused when expired, malformed, longer than 512 characters or signed with
 * another secret. Returns the customer id the token names, or null.
 */
function verifyAsDocumented(secret: string, token: string, nowSeconds: number): string | null {
  const unpadded = (base64: string): string => base64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  if (token.length > 512) return null;
  const parts = token.split('.');
  if (parts.length !== 4) return null;
  const [version, exp, cid, sig] = parts as [string, string, string, string];
  if (version !== 'v1' || !/^[0-9]+$/.test(exp) || !/^[A-Za-z0-9_-]+$/.test(cid)) return null;
  const expected = unpadded(createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(`v1.${exp}.${cid}`, 'utf8')).digest('base64'));
  if (sig !== expected) return null;
  if (Number(exp) <= nowSeconds) return null;
  const standard = cid.replace(/-/g, '+').replace(/_/g, '/');
  return Buffer.from(standard + '='.repeat((4 - (standard.length % 4)) % 4), 'base64').toString('utf8');
}

const SECRET = 'cts_known-answer';
const NOW = 1_700_000_000;

describe('signCustomerToken', () => {
  afterEach(() => vi.useRealTimers());

  it.each(['12347', 'kunde-ü/42?', 'gid-like:Customer/7', '顧客-9'])('signs a token that verifies by the documented format for %s', (customerId) => {
    const token = signCustomerToken(SECRET, customerId, 600, NOW);
    expect(token).toMatch(/^v1\.\d+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(token.split('.')[1]).toBe(String(NOW + 600));
    expect(verifyAsDocumented(SECRET, token, NOW)).toBe(customerId);
    expect(verifyAsDocumented(SECRET, token, NOW + 599)).toBe(customerId);
  });

  it("matches tokens minted by Affinity's own implementation", () => {
    // Minted by the server's signer for the same secret, customers and expiry 1700003600.
    expect(signCustomerToken(SECRET, '12347', 3600, NOW)).toBe('v1.1700003600.MTIzNDc.M1ikX5lO-k85Lq7sH7G3ahogg1sRJXyiM00eZoBKHWQ');
    expect(signCustomerToken(SECRET, 'kunde-ü/42?', 3600, NOW)).toBe(
      'v1.1700003600.a3VuZGUtw7wvNDI_.BlBJlKkchheWsyx1hBI5Wun1azFBvm9zSv39ExWKQSI',
    );
  });

  it('is refused once expired, with another secret, or altered', () => {
    const token = signCustomerToken(SECRET, '12347', 600, NOW);
    expect(verifyAsDocumented(SECRET, token, NOW + 600)).toBeNull();
    expect(verifyAsDocumented('cts_another-shop', token, NOW)).toBeNull();
    const [version, exp, , sig] = token.split('.');
    const otherCustomer = Buffer.from('12348').toString('base64url');
    expect(verifyAsDocumented(SECRET, [version, exp, otherCustomer, sig].join('.'), NOW)).toBeNull();
    expect(verifyAsDocumented(SECRET, [version, Number(exp) + 3600, token.split('.')[2], sig].join('.'), NOW)).toBeNull();
  });

  it('counts the expiry from the clock when no time is given', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date(NOW * 1000 + 250));
    const token = signCustomerToken(SECRET, '12347', 60);
    expect(token.split('.')[1]).toBe(String(NOW + 60));
    expect(verifyAsDocumented(SECRET, token, NOW)).toBe('12347');
  });

  it('refuses to sign what Affinity would refuse', () => {
    expect(() => signCustomerToken('', '12347', 60, NOW)).toThrow(TypeError);
    expect(() => signCustomerToken(SECRET, '', 60, NOW)).toThrow(TypeError);
    expect(() => signCustomerToken(SECRET, '12347', 0, NOW)).toThrow(RangeError);
    expect(() => signCustomerToken(SECRET, '12347', Number.NaN, NOW)).toThrow(RangeError);
    expect(() => signCustomerToken(SECRET, 'x'.repeat(400), 60, NOW)).toThrow(RangeError);
    const longest = signCustomerToken(SECRET, 'x'.repeat(300), 60, NOW);
    expect(longest.length).toBeLessThanOrEqual(MAX_CUSTOMER_TOKEN_LENGTH);
  });
});

describe('customerTokenOrNull', () => {
  it('mints a token only for a customer with a configured secret', () => {
    const token = customerTokenOrNull(SECRET, '12347', 60);
    expect(token && verifyAsDocumented(SECRET, token, Date.now() / 1000)).toBe('12347');
    expect(customerTokenOrNull(undefined, '12347')).toBeNull();
    expect(customerTokenOrNull(SECRET, null)).toBeNull();
    expect(customerTokenOrNull(SECRET, 'x'.repeat(400))).toBeNull();
  });
});

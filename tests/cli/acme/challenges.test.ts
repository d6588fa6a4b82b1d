import { dnsChallengeName, dnsChallengeValue, httpChallengeFile } from '../../../cli/acme/challenges';

describe('ACME challenges: what the CA sends, checked before it becomes a path or a DNS name', () => {
  it('When a token is base64url, then it names a file directly in the webroot', () => {
    expect(httpChallengeFile('/srv/shop/acme', 'LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0')).toBe('/srv/shop/acme/.well-known/acme-challenge/LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0');
  });

  it.each(['../../../../home/deploy/.ssh/authorized_keys', 'a/b', '..', '.', '', 'tok en', 'tok\nen', 'tok=', 'tok+en', '$(id)', '~'])('When a token is %j, then it is refused with a clear error', (token) => {
    expect(() => httpChallengeFile('/srv/shop/acme', token)).toThrow(/http-01 token that is not base64url \(RFC 8555 §8\.3\)/);
  });

  it('When an authorization names an ordered domain (or a wildcard\'s base), then its record name is built; any other name is refused', () => {
    expect(dnsChallengeName('shop.example.com', ['shop.example.com', '*.example.com'])).toBe('_acme-challenge.shop.example.com.');
    expect(dnsChallengeName('example.com', ['shop.example.com', '*.example.com'])).toBe('_acme-challenge.example.com.');
    for (const hostile of ['attacker.example', 'shop.example.com. 60 TXT "x"\nupdate delete example.com A', 'shop.example.com\n', '*.example.com']) {
      expect(() => dnsChallengeName(hostile, ['shop.example.com', '*.example.com'])).toThrow(/not one of the names ordered/);
    }
  });

  it('When a dns-01 value is a base64url digest, then it passes; anything else is refused', () => {
    expect(dnsChallengeValue('Tk9UX0FfUkVBTF9ESUdFU1RfQlVUXzQzX0NIQVJTX18')).toBe('Tk9UX0FfUkVBTF9ESUdFU1RfQlVUXzQzX0NIQVJTX18');
    expect(() => dnsChallengeValue('x" \nupdate delete example.com A\nsend\n')).toThrow(/not a base64url SHA-256 digest/);
  });
});

import { TEST_CARDS } from '../../../api/modules/orders';
import { findSecrets } from '../../support/log-scan';
import { STRONG_PASSWORD } from '../../support/users';

describe("the run's log scan", () => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMiIsImV4cCI6MX0.c2lnbmF0dXJlLWJ5dGVz';

  it('When a line holds a token, a Bearer header, the password, a test card number or an uncensored secret field, then it is reported without the secret', () => {
    const found = findSecrets([
      JSON.stringify({ msg: 'request', url: '/api/v1/auth/profile/' }),
      JSON.stringify({ msg: 'oops', body: { refresh: jwt } }),
      `plain text Authorization: Bearer ${'a'.repeat(40)}`,
      JSON.stringify({ msg: 'login', email: 'a@b.c', detail: `tried ${STRONG_PASSWORD}` }),
      JSON.stringify({ req: { headers: { authorization: 'Basic Zm9vOmJhcg==' } } }),
      JSON.stringify({ body: { password: '[redacted]', access: '[redacted]' } }),
      JSON.stringify({ msg: 'charge', body: { payment_details: { card_number: TEST_CARDS.success, cvv: '123' } } }),
      JSON.stringify({ msg: 'charge', body: { payment_details: '[redacted]', cvv: '[redacted]' } }),
    ]);
    expect(found).toEqual([
      'line 2: a JWT, uncensored field body.refresh',
      'line 3: a Bearer credential',
      "line 4: the tests' password",
      'line 5: uncensored field req.headers.authorization',
      'line 7: a test card number, uncensored field body.payment_details.card_number, uncensored field body.payment_details.cvv',
    ]);
    expect(found.join('\n')).not.toContain(jwt);
  });
});

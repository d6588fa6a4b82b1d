import { randomBytes } from 'node:crypto';
import { PaymentProviderError, type ChargeRequest, type ChargeResult, type PaymentProvider, type RefundRequest } from './provider';

/** Test card numbers, as in the big gateways' test modes; any other valid number succeeds. */
export const TEST_CARDS = {
  success: '4242424242424242',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  processingError: '4000000000000119',
} as const;

function reference(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

/**
 * Charges nothing: answers by card number so that every path of the payment flow can be exercised from a
 * client or a test. PayPal and bank transfers, and cards sent without a number (as the old clients did),
 * succeed.
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  readonly name = 'simulated';

  charge(request: ChargeRequest): Promise<ChargeResult> {
    switch (request.cardNumber) {
      case TEST_CARDS.declined:
        return Promise.resolve({ status: 'declined', reference: reference('sim_ch'), declineCode: 'card_declined', message: 'Your card was declined.' });
      case TEST_CARDS.insufficientFunds:
        return Promise.resolve({ status: 'declined', reference: reference('sim_ch'), declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.' });
      case TEST_CARDS.processingError:
        return Promise.reject(new PaymentProviderError('The payment provider could not process the card.'));
      default:
        return Promise.resolve({ status: 'succeeded', reference: reference('sim_ch') });
    }
  }

  refund(_request: RefundRequest): Promise<{ reference: string }> {
    return Promise.resolve({ reference: reference('sim_re') });
  }
}

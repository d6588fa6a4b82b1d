import { renewalTime } from '../../../cli/services/certificate-status';

describe('certificate renewal time', () => {
  const notBefore = new Date('2026-11-01T00:00:00Z');
  const notAfter = new Date('2027-01-30T00:00:00Z'); // 90 days

  it('When a third of the lifetime is left, then renewal is due, moved earlier by at most a tenth of that window', () => {
    const window = 30 * 86_400_000;
    for (const serial of ['01', '7AB5E4C3D1E7CD7A', 'FFFFFFFFFFFFFFFF', '1B7C2CD06273FF70']) {
      const at = renewalTime(notBefore, notAfter, serial, 1 / 3).getTime();
      expect(at).toBeLessThanOrEqual(notAfter.getTime() - window);
      expect(at).toBeGreaterThanOrEqual(notAfter.getTime() - window * 1.1);
    }
  });

  it('When asked twice for the same certificate, then the date is the same, and different serials spread out', () => {
    expect(renewalTime(notBefore, notAfter, 'ABCDEF', 1 / 3)).toEqual(renewalTime(notBefore, notAfter, 'ABCDEF', 1 / 3));
    const dates = new Set(['01', '02', '03', '04', '05'].map((serial) => renewalTime(notBefore, notAfter, serial, 1 / 3).getTime()));
    expect(dates.size).toBe(5);
  });
});

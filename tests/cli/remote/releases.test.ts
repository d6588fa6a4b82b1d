import { isReleaseId, releaseId, releasesToPrune, removeReleases } from '../../../cli/remote/releases';

describe('remote command builders: releases', () => {
  it('When a release id is made, then it sorts by time and carries a safe version', () => {
    expect(releaseId(new Date('2026-11-25T03:15:00.123Z'), '1.4.0')).toBe('20261125T031500Z-1.4.0');
    expect(releaseId(new Date('2026-11-25T03:15:00Z'), 'feature/x y')).toBe('20261125T031500Z-feature-x-y');
    expect(isReleaseId('20261125T031500Z-1.4.0')).toBe(true);
    expect(isReleaseId('../etc')).toBe(false);
  });

  it('When pruning, then the oldest go first and the current and protected releases stay', () => {
    const ids = ['20260101T000000Z-a', '20260102T000000Z-b', '20260103T000000Z-c', '20260104T000000Z-d', '20260105T000000Z-e'];
    expect(releasesToPrune(ids, 3, '20260105T000000Z-e')).toEqual(['20260101T000000Z-a', '20260102T000000Z-b']);
    expect(releasesToPrune(ids, 3, '20260101T000000Z-a')).toEqual(['20260102T000000Z-b', '20260103T000000Z-c']);
    expect(releasesToPrune(ids, 2, '20260105T000000Z-e', ['20260101T000000Z-a'])).toEqual(['20260102T000000Z-b', '20260103T000000Z-c', '20260104T000000Z-d']);
    expect(releasesToPrune(ids, 5, undefined)).toEqual([]);
  });

  it('When asked to remove something that is not a release id, then nothing is built', () => {
    expect(() => removeReleases('/srv/shop', ['20260101T000000Z-a', '../../etc'])).toThrow('refusing to remove "../../etc": not a release id');
    expect(removeReleases('/srv/shop', ['20260101T000000Z-a']).slice(3)).toEqual(['nexus-remove-releases', '/srv/shop', '20260101T000000Z-a']);
  });
});

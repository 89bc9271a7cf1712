import { ConfigError, parseConfig } from '../../../shared/config';
import { withAppKey } from '../../support/appKey';

const intune = (env: Record<string, string> = {}) => parseConfig(withAppKey(env)).intune;

describe('the Graph executor settings', () => {
  it("default to Intune's own caps, a 15-minute follow-up for 7 days, 30 s of Retry-After and nothing release-only", () => {
    expect(intune()).toEqual({
      dailyCaps: { wipe: 500, retire: 1000, delete: 1000 },
      followUpEveryMs: 15 * 60_000,
      followUpForMs: 7 * 86_400_000,
      maxRetryAfterMs: 30_000,
      releaseOnly: [],
    });
  });

  it('take any subset of caps, the durations and the release-only types', () => {
    expect(
      intune({
        MAA_DEVICE_ACTION_DAILY_CAPS: ' wipe = 2 , delete=0',
        MAA_DEVICE_FOLLOW_UP_INTERVAL: 'PT1M',
        MAA_DEVICE_FOLLOW_UP_DURATION: 'PT2H',
        MAA_GRAPH_MAX_RETRY_AFTER: 'PT0S',
        MAA_RELEASE_ONLY_PROFILE_TYPES: 'role, tenantConfiguration',
      }),
    ).toEqual({
      dailyCaps: { wipe: 2, retire: 1000, delete: 0 },
      followUpEveryMs: 60_000,
      followUpForMs: 7_200_000,
      maxRetryAfterMs: 0,
      releaseOnly: ['role', 'tenantConfiguration'],
    });
  });

  it.each([
    [{ MAA_DEVICE_ACTION_DAILY_CAPS: 'lock=5' }, /MAA_DEVICE_ACTION_DAILY_CAPS: "lock=5" is not/],
    [{ MAA_DEVICE_ACTION_DAILY_CAPS: 'wipe=-1' }, /MAA_DEVICE_ACTION_DAILY_CAPS/],
    [{ MAA_DEVICE_FOLLOW_UP_INTERVAL: 'P1M' }, /MAA_DEVICE_FOLLOW_UP_INTERVAL/],
    [{ MAA_DEVICE_FOLLOW_UP_INTERVAL: 'PT0S' }, /MAA_DEVICE_FOLLOW_UP_INTERVAL: must be at least 1 s/],
    [{ MAA_GRAPH_MAX_RETRY_AFTER: 'soon' }, /MAA_GRAPH_MAX_RETRY_AFTER/],
    [{ MAA_RELEASE_ONLY_PROFILE_TYPES: 'operationApprovalPolicy' }, /MAA_RELEASE_ONLY_PROFILE_TYPES/],
    [{ MAA_RELEASE_ONLY_PROFILE_TYPES: 'wipe' }, /MAA_RELEASE_ONLY_PROFILE_TYPES/],
  ])('refuse %j', (env, message) => {
    expect(() => intune(env)).toThrow(ConfigError);
    expect(() => intune(env)).toThrow(message);
  });
});

import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '../../api/config';

const DATABASE_URL = 'postgres://nexus:pw@127.0.0.1:5432/nexus';
const PRODUCTION = { NODE_ENV: 'production', DATABASE_URL, REDIS_URL: 'redis://127.0.0.1:6379', JWT_SECRET: randomBytes(48).toString('base64'), MAIL_TRANSPORT: 'disabled', PAYMENT_PROVIDER: 'simulated' };
const S3 = { MEDIA_STORAGE: 's3', MEDIA_S3_BUCKET: 'shop-media', MEDIA_S3_ACCESS_KEY_ID: 'AKIAEXAMPLE', MEDIA_S3_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG' };

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('media storage settings (MEDIA_STORAGE, MEDIA_S3_*, MEDIA_PUBLIC_URL)', () => {
  it('When nothing is set, then images are local files linked on the API\'s own /media/', () => {
    const config = loadConfig({ DATABASE_URL, PUBLIC_URL: 'https://shop.example.com/' });
    expect([config.media.storage, config.media.publicUrl, config.media.s3]).toEqual(['local', undefined, undefined]);
    expect(config.shop.mediaBase).toBe('https://shop.example.com/media/');
  });

  it('When MEDIA_STORAGE=s3 is complete, then the bucket settings are parsed (prefix as segments ending in /)', () => {
    const config = loadConfig({ ...PRODUCTION, ...S3, MEDIA_S3_PREFIX: '/shop/media', MEDIA_S3_REGION: 'eu-west-1', MEDIA_S3_ENDPOINT: 'http://127.0.0.1:9000', MEDIA_S3_FORCE_PATH_STYLE: 'true' });
    expect(config.media.s3).toEqual({
      bucket: 'shop-media',
      prefix: 'shop/media/',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' },
    });
    expect(loadConfig({ ...PRODUCTION, ...S3 }).media.s3).toMatchObject({ prefix: '', region: 'us-east-1', endpoint: undefined, forcePathStyle: false });
  });

  it('When production uses s3 without a bucket or credentials, then each missing variable is named', () => {
    const problems = problemsOf({ ...PRODUCTION, MEDIA_STORAGE: 's3' });
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^MEDIA_S3_BUCKET: required when MEDIA_STORAGE=s3/), expect.stringMatching(/^MEDIA_S3_ACCESS_KEY_ID: required in production/), expect.stringMatching(/^MEDIA_S3_SECRET_ACCESS_KEY: required in production/)]));
    expect(problemsOf({ ...PRODUCTION, ...S3, MEDIA_S3_SECRET_ACCESS_KEY: '' })).toEqual([expect.stringMatching(/^MEDIA_S3_SECRET_ACCESS_KEY: required with MEDIA_S3_ACCESS_KEY_ID/)]);
  });

  it('When development uses s3 without credentials, then it loads (the SDK\'s default chain), but the bucket is still required', () => {
    expect(loadConfig({ DATABASE_URL, MEDIA_STORAGE: 's3', MEDIA_S3_BUCKET: 'dev-media' }).media.s3?.credentials).toBeUndefined();
    expect(problemsOf({ DATABASE_URL, MEDIA_STORAGE: 's3' })).toEqual([expect.stringMatching(/^MEDIA_S3_BUCKET:/)]);
    expect(problemsOf({ DATABASE_URL, MEDIA_STORAGE: 's3', MEDIA_S3_BUCKET: 'dev-media', MEDIA_S3_SECRET_ACCESS_KEY: 'x' })).toEqual([expect.stringMatching(/^MEDIA_S3_ACCESS_KEY_ID: required with MEDIA_S3_SECRET_ACCESS_KEY/)]);
  });

  it.each([
    ['MEDIA_STORAGE', 'gcs'],
    ['MEDIA_S3_BUCKET', 'Not_A_Bucket'],
    ['MEDIA_S3_PREFIX', 'shop/../etc'],
    ['MEDIA_S3_PREFIX', 'a b'],
    ['MEDIA_S3_ENDPOINT', 'ftp://example.com'],
    ['MEDIA_S3_FORCE_PATH_STYLE', 'maybe'],
    ['MEDIA_PUBLIC_URL', 'javascript:alert(1)'],
  ])('When %s is %j, then it is refused by name', (name, value) => {
    expect(problemsOf({ DATABASE_URL, ...S3, [name]: value })).toEqual([expect.stringMatching(new RegExp(`^${name}: `))]);
  });

  it('When MEDIA_PUBLIC_URL is set, then links (and the events\' and mail\'s media base) are made on it, ending in one /', () => {
    const config = loadConfig({ DATABASE_URL, PUBLIC_URL: 'https://shop.example.com', MEDIA_PUBLIC_URL: 'https://cdn.example.com/media//' });
    expect(config.media.publicUrl).toBe('https://cdn.example.com/media/');
    expect(config.shop.mediaBase).toBe('https://cdn.example.com/media/');
  });

  it('When a credential is set, then it is a secret: a bad value is never echoed', () => {
    const problem = problemsOf({ DATABASE_URL, ...S3, MEDIA_S3_BUCKET: 'Bad_Bucket', MEDIA_S3_SECRET_ACCESS_KEY: 'super-secret-value' }).join('\n');
    expect(problem).not.toContain('super-secret-value');
  });
});

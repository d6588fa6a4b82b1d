import { acquireLock, lockStatus, releaseLock } from '../../../cli/remote/lock';
import { quote, render } from '../../../cli/remote/shell';

describe('remote command builders: the deploy lock', () => {
  it('When the lock is taken, then its inputs are positional parameters, never spliced into the script', () => {
    const command = acquireLock('/srv/shop', { id: 'abc123', owner: "o'brien@laptop", reason: 'deploy $(rm -rf /)' }, 1800);
    expect(command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(command.slice(3)).toEqual(['nexus-lock-acquire', '/srv/shop/locks/deploy', '"abc123"', '"o\'brien@laptop"', '"deploy $(rm -rf /)"', '1800']);
    expect(command[2]).not.toContain('rm -rf /)');
    expect(command[2]).toContain('flock -w 10 9');
  });

  it('When status and release are built, then they name the same directory', () => {
    expect(lockStatus('/srv/shop').slice(3)).toEqual(['nexus-lock-status', '/srv/shop/locks/deploy']);
    expect(releaseLock('/srv/shop').slice(3)).toEqual(['nexus-lock-release', '/srv/shop/locks/deploy']);
    expect(releaseLock('/srv/shop', 'abc123').slice(3)).toEqual(['nexus-lock-release', '/srv/shop/locks/deploy', '"id":"abc123"']);
  });

  it('When argv is rendered for the remote shell, then every argument survives quoting', () => {
    expect(quote('plain/path-1.0')).toBe('plain/path-1.0');
    expect(quote('')).toBe("''");
    expect(quote("it's")).toBe("'it'\\''s'");
    expect(render(['echo', 'a b', '$HOME'])).toBe("echo 'a b' '$HOME'");
  });
});

import { NexusCommand } from './base-command';
import { loadDeployTarget, type DeployTarget } from './deploy-config/load';
import type { HostConfig } from './deploy-config/schema';
import type { Executor } from './exec/executor';
import { SshExecutor } from './exec/ssh-executor';
import { checked, sharedFlags } from './flags';

/** Flags of every command that works on a target from nexus.yml. */
export const targetFlags = {
  target: checked('target')({ char: 't', description: 'Target name from nexus.yml (e.g. production).', required: true }),
  dir: sharedFlags.projectDir,
};

/** A command that reads a target from nexus.yml and talks to its hosts over SSH. */
export abstract class TargetCommand<T> extends NexusCommand<T> {
  private readonly connections = new Map<string, Promise<Executor>>();

  /** The target from nexus.yml; secrets are loaded only for the commands that ship them (deploy). */
  protected loadTarget(flags: { target: string; dir: string }, options: { secrets: boolean } = { secrets: false }): DeployTarget {
    return loadDeployTarget(flags.dir, flags.target, process.env, options);
  }

  /** An SSH connection to one host of the target (one per host, reused), closed when the command ends. */
  protected connect(target: DeployTarget, host: HostConfig = target.target.hosts[0] as HostConfig, user = target.target.ssh.user): Promise<Executor> {
    const key = `${user}@${host.address}:${target.target.ssh.port}`;
    const open = this.connections.get(key);
    if (open) return open;
    const executor = SshExecutor.connect({
      address: host.address,
      port: target.target.ssh.port,
      user,
      keyPath: target.keyPath,
      hostKey: host.host_key,
      connectTimeoutSeconds: target.target.ssh.connect_timeout,
      gated: target.target.ssh.gated,
    });
    this.connections.set(key, executor);
    return executor;
  }

  protected override async finally(error: Error | undefined): Promise<void> {
    await Promise.all([...this.connections.values()].map((connection) => connection.then((open) => open.close(), () => undefined)));
    await super.finally(error);
  }
}

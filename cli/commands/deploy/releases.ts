import { TargetCommand, targetFlags } from '../../target-command';
import { ReleaseStore, type ReleaseListing } from '../../services/release-store';

export default class DeployReleases extends TargetCommand<{ hosts: (ReleaseListing & { host: string })[] }> {
  static override summary = 'List the releases on each host of a target, the current one marked';
  static override description = 'Reads <root>/releases and <root>/current on every host (one SSH connection each). Hosts that disagree about the current release are visible side by side.';
  static override examples = ['<%= config.bin %> deploy releases --target production', '<%= config.bin %> deploy releases -t production --json'];
  static override flags = targetFlags;

  async run(): Promise<{ hosts: (ReleaseListing & { host: string })[] }> {
    const { flags } = await this.parse(DeployReleases);
    const target = this.loadTarget(flags);
    const hosts: (ReleaseListing & { host: string })[] = [];
    for (const host of target.target.hosts) {
      const listing = await new ReleaseStore(await this.connect(target, host), target.target.root).list();
      hosts.push({ host: host.address, ...listing });
      this.log(`${host.address}:${listing.releases.length === 0 ? ' no releases yet' : ''}`);
      for (const release of [...listing.releases].reverse()) {
        const never = release.image && !release.served_at ? '  (never served)' : '';
        this.log(`  ${release.current ? '*' : ' '} ${release.id}${release.image ? `  ${release.image}` : ''}${release.created_by ? `  by ${release.created_by}` : ''}${never}`);
      }
    }
    return { hosts };
  }
}

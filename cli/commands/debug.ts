import { writeFileSync } from 'node:fs';
import { TargetCommand, targetFlags } from '../target-command';
import { collectDiagnostics, type HostDiagnostics } from '../services/diagnostics';
import { checked } from '../flags';

export default class Debug extends TargetCommand<{ hosts: HostDiagnostics[] }> {
  static override summary = 'One diagnostic report of every host of a target';

  static override description =
    'Versions, uptime and load, disk, memory, Docker and containers, the serving release\'s containers (API and worker: state, health, restarts), listening ports, nginx -t, firewall, nexus releases and lock, recent errors: read-only commands, each reported on its own, so a missing tool never hides the rest. Replaces the old debug and test-connection scripts. --output writes the whole report to a file (mode 600) to attach to a ticket.';

  static override examples = [
    '<%= config.bin %> debug --target production',
    '<%= config.bin %> debug --target production --json',
    '<%= config.bin %> debug --target production --output nexus-debug.json',
  ];

  static override flags = {
    ...targetFlags,
    output: checked('newFile')({ char: 'o', description: 'Also write the report (JSON) to this file.' }),
  };

  async run(): Promise<{ hosts: HostDiagnostics[] }> {
    const { flags } = await this.parse(Debug);
    const target = this.loadTarget(flags);
    const hosts: HostDiagnostics[] = [];
    for (const host of target.target.hosts) {
      const { root, nginx, docker_host: dockerHost } = target.target;
      const report = await collectDiagnostics(await this.connect(target, host), { root, app: target.app.name, nginxCommand: nginx.command, dockerHost });
      hosts.push(report);
      this.print(report);
    }
    if (flags.output) {
      writeFileSync(flags.output, `${JSON.stringify({ target: target.name, hosts }, null, 2)}\n`, { mode: 0o600 });
      this.note(`Report written to ${flags.output}.`);
    }
    return { hosts };
  }

  private print(report: HostDiagnostics): void {
    if (this.jsonEnabled()) return;
    this.log(`# ${report.host} (${report.collectedAt})`);
    for (const warning of report.warnings) this.log(`! ${warning}`);
    for (const probe of report.probes) {
      this.log(`\n## ${probe.title}${probe.ok ? '' : ` (exit ${probe.exitCode ?? 'signal'})`}`);
      this.log(probe.output || '(no output)');
    }
  }
}

import type { TargetConfig } from '../deploy-config/schema';

export type Colour = 'blue' | 'green';

/**
 * Where things live on a host, under the target's root:
 *   releases/<id>/   one directory per release (compose file, env files, release.json)
 *   current          symlink to the release serving
 *   serving.json     which release serves, on which colour and port
 *   nginx/site.conf  the site nginx includes (unless nginx.site_file says otherwise)
 *   acme/            the ACME http-01 webroot
 *   certs/<domain>/  certificates
 *   backups/         database dumps (pre-migration ones among them)
 *   builds/          build contexts and image archives while a deploy runs
 *   jobs/<name>/     scheduled jobs (certificate renewal, backups)
 *   metrics/         what those jobs report to the Prometheus node exporter (textfile collector)
 */
export class HostLayout {
  constructor(
    readonly root: string,
    private readonly nginxSiteFile?: string,
  ) {}

  static of(target: TargetConfig): HostLayout {
    return new HostLayout(target.root, target.nginx.site_file);
  }

  get releases(): string {
    return `${this.root}/releases`;
  }

  release(id: string): string {
    return `${this.root}/releases/${id}`;
  }

  get serving(): string {
    return `${this.root}/serving.json`;
  }

  get site(): string {
    return this.nginxSiteFile ?? `${this.root}/nginx/site.conf`;
  }

  get webroot(): string {
    return `${this.root}/acme`;
  }

  /** The ACME account's key (mode 600), shared by every operator and job. */
  get accountKey(): string {
    return `${this.root}/certs/account.key`;
  }

  certificates(domain: string): { dir: string; fullchain: string; key: string } {
    const dir = `${this.root}/certs/${domain}`;
    return { dir, fullchain: `${dir}/fullchain.pem`, key: `${dir}/privkey.pem` };
  }

  get backups(): string {
    return `${this.root}/backups`;
  }

  get builds(): string {
    return `${this.root}/builds`;
  }

  /** Metrics the scheduled jobs write for the node exporter's textfile collector (mode 755: the exporter reads it). */
  get metrics(): string {
    return `${this.root}/metrics`;
  }

  job(name: string): string {
    return `${this.root}/jobs/${name}`;
  }

  get services(): string {
    return `${this.root}/services`;
  }
}

/** Each colour has its own loopback port, so two releases can run side by side. */
export function colourPort(appPort: number, colour: Colour): number {
  return colour === 'blue' ? appPort : appPort + 1;
}

export function otherColour(colour: Colour | undefined): Colour {
  return colour === 'blue' ? 'green' : 'blue';
}

/** Compose project names: one per colour, one for the long-lived services. */
export function projectName(app: string, colour: Colour | 'services'): string {
  return `${app}-${colour}`;
}

/** The Docker network and media volume every release of an app shares. */
export function sharedResources(app: string): { network: string; mediaVolume: string } {
  return { network: `${app}-backend`, mediaVolume: `${app}-media` };
}

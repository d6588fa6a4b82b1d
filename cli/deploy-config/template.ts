import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root';
import { DEFAULT_RESOLVERS } from './schema';

export interface InitAnswers {
  appName: string;
  target: string;
  hosts: { address: string; hostKey: string }[];
  user: string;
  port: number;
  key: string;
  domains: string[];
  database: 'host' | 'external';
  redis: 'host' | 'external';
  /** Where releases live on the hosts; default /srv/<appName>. */
  root?: string;
  mailTransport: string;
  paymentProvider: string;
  tlsEmail: string;
}

const templatePath = () => join(packageRoot(), 'templates', 'nexus.yml');

/** A YAML scalar for any string: JSON strings are valid YAML. */
const quote = (value: string) => JSON.stringify(value);

/** The commented nexus.yml with the operator's answers filled in. */
export function renderNexusYml(answers: InitAnswers, template = readFileSync(templatePath(), 'utf8')): string {
  const values: Record<string, string> = {
    appName: answers.appName,
    target: answers.target,
    hosts: answers.hosts.map((host) => `      - address: ${quote(host.address)}\n        host_key: ${quote(host.hostKey)}`).join('\n'),
    user: answers.user,
    port: String(answers.port),
    key: quote(answers.key),
    domains: answers.domains.map((name) => `      - ${name}`).join('\n'),
    database: answers.database,
    redis: answers.redis,
    allowedHosts: quote(answers.domains.join(',')),
    root: answers.root ?? `/srv/${answers.appName}`,
    mailTransport: answers.mailTransport,
    paymentProvider: answers.paymentProvider,
    tlsEmail: quote(answers.tlsEmail),
    // The schema's default, written out so that what dns verify asks is visible and editable.
    dnsResolvers: `[${DEFAULT_RESOLVERS.join(', ')}]`,
  };
  return template.replace(/\{\{(\w+)\}\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`templates/nexus.yml uses an unknown placeholder {{${name}}}`);
    return value;
  });
}

import { challengeDirectory } from '../acme/challenges';
import type { DeployTarget } from '../deploy-config/load';
import { removeFile, restoreCertificate, swapInCertificate } from '../remote/certificates';
import { withDockerHost } from '../remote/docker';
import { readFile, writeFile } from '../remote/files';
import { allowedCall, slot, type AllowedCall } from '../remote/job-allow-list';
import { HostLayout } from '../remote/layout';
import { acquireLock, lockStatus, releaseLock } from '../remote/lock';
import { reloadNginx } from '../remote/nginx-switch';
import { nsupdate } from '../remote/nsupdate';
import { checksumFile, dropDatabase, listManifests, removeBackups, restoreIntoNewDatabase, takeBackup } from '../remote/pg-backup';
import { targetPgTools } from '../remote/pg-tools';
import type { RemoteCommand } from '../remote/shell';
import { verificationFile } from './backup-catalog';

/**
 * The remote calls each scheduled job makes, and nothing else: what its key's gate lets through. Each is
 * built by the builder the job's own flow uses, so a script's body and fixed arguments are the flow's; the
 * placeholders mark the values that change from run to run. A flow that starts making another call must
 * list it here: the tests run every job through a real gate.
 */

/** The deploy lock, as the job takes and releases it (ids and owner vary). */
function lockCalls(root: string, ttl: number): AllowedCall[] {
  return [lockStatus(root), acquireLock(root, { id: slot('hex'), owner: slot('text'), reason: slot('text') }, ttl), releaseLock(root, slot('hex'))].map((call) => allowedCall(call));
}

/** Every call also as HostDeployer.run sends it when the target names a Docker host (`env DOCKER_HOST=…`). */
function withDockerHostToo(calls: AllowedCall[], deploy: DeployTarget): AllowedCall[] {
  const dockerHost = deploy.target.docker_host;
  if (!dockerHost) return calls;
  const prefix = allowedCall(withDockerHost([], dockerHost));
  return calls.flatMap((call) => [call, [...prefix, ...call]]);
}

/**
 * `nexus ssl renew`: read the certificate, take the deploy lock, keep the ACME account key, publish and remove
 * http-01 tokens (or send the RFC 2136 update), put the new certificate in place of the old and reload nginx.
 */
export function renewalCalls(deploy: DeployTarget): AllowedCall[] {
  const { target } = deploy;
  const layout = HostLayout.of(target);
  const certificate = layout.certificates(target.domains[0] as string);
  const token = `${challengeDirectory(layout.webroot)}/${slot('token')}`;
  const commands: RemoteCommand[] = [
    readFile(certificate.fullchain),
    readFile(layout.accountKey),
    writeFile(layout.accountKey, '600'),
    writeFile(token, '644'),
    removeFile(token),
    ...(target.tls.dns_provider?.type === 'rfc2136' ? [nsupdate()] : []),
    writeFile(`${certificate.dir}.next/fullchain.pem`, '644'),
    writeFile(`${certificate.dir}.next/privkey.pem`, '600'),
    swapInCertificate(certificate.dir),
    restoreCertificate(certificate.dir),
    // Never the site file: nginx's master runs as root, so writing its configuration would be a root key.
    reloadNginx(target.nginx.command),
  ];
  return withDockerHostToo([...commands.map((command) => allowedCall(command)), ...lockCalls(target.root, target.lock_ttl)], deploy);
}

/**
 * `nexus db backup --kind scheduled --verify`: dump into a new scheduled backup with its manifest, read it
 * back (also to copy it offsite), restore it into a scratch database and drop that, record the verification,
 * apply retention. The database's scripts run its tools as the target does (targetPgTools): for an on-host
 * database, inside the services project's `postgres` container, with that project and directory fixed in the
 * allowed call.
 */
export function backupJobCalls(deploy: DeployTarget): AllowedCall[] {
  const layout = HostLayout.of(deploy.target);
  const backup = `${layout.backups}/${slot('scheduled')}`;
  // The maintenance database BackupManager connects to for CREATE and DROP DATABASE.
  const maintenance = 'postgres';
  const tools = targetPgTools(deploy);
  const commands: RemoteCommand[] = [
    readFile(layout.serving),
    takeBackup(tools, `${backup}.dump`),
    writeFile(`${backup}.json`, '600'),
    readFile(`${backup}.json`),
    readFile(`${backup}.dump`),
    checksumFile(`${backup}.dump`),
    restoreIntoNewDatabase(tools, `${backup}.dump`, slot('scratchDatabase'), maintenance),
    dropDatabase(tools, slot('scratchDatabase'), maintenance),
    // The verification's record, read by `nexus status` (backup-catalog.ts).
    writeFile(verificationFile(layout.backups, slot('scheduled')), '600'),
    listManifests(layout.backups),
  ];
  return withDockerHostToo([...commands.map((command) => allowedCall(command)), allowedCall(removeBackups(layout.backups, []), 'backup')], deploy);
}

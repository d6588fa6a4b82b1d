import { join } from 'node:path';
import type { TargetConfig } from '../deploy-config/schema';
import { BUILD_LABEL } from '../remote/docker';
import type { HostDeployer } from './host-deployer';
import { buildFingerprint, buildLocally, contextArchive, localBuildLabel, saveImage, scratchDirectory, type SourceSnapshot } from './image-source';
import type { StepReporter } from './progress';

/** How the image reached a host: built or uploaded by this deploy, already there for the commit, or a prebuilt image. */
export type ImageDelivery = 'built on the host' | 'uploaded' | 'reused' | 'present' | 'pulled';

/** How the image reaches each host, prepared once for all of them. */
export interface ImagePlan {
  describe: string;
  /** Whether delivering to this host builds the image there (which needs the npm registry from the host). */
  buildsOn(host: HostDeployer): Promise<boolean>;
  deliver(host: HostDeployer, reporter: StepReporter): Promise<ImageDelivery>;
  cleanup(): void;
}

/** The node base image the Dockerfile defaults to (BUILD_IMAGE, RUNTIME_IMAGE). */
const DEFAULT_BASE_IMAGE = 'node:20-bookworm-slim';

/** `--image`: used as it is, pulled when the host does not have it. */
export function existingImage(tag: string): ImagePlan {
  return {
    describe: 'prebuilt',
    buildsOn: () => Promise.resolve(false),
    deliver: async (host) => {
      if (await host.hasImage(tag)) return 'present';
      await host.run(`pull ${tag}`, ['docker', 'pull', tag]);
      return 'pulled';
    },
    cleanup: () => undefined,
  };
}

/**
 * build.on host: the committed source is uploaded and built on each host; local: built once here and
 * uploaded. Either is skipped on a host that already has the image this build would make (its build label
 * matches the commit and the build arguments), except from a tree with uncommitted changes: the operator may
 * believe they are in it, so nothing is taken for granted then.
 */
export async function buildPlan(build: TargetConfig['build'], context: string, tag: string, snapshot: SourceSnapshot, note: (message: string) => void): Promise<ImagePlan> {
  const fingerprint = buildFingerprint(snapshot.commit ?? snapshot.version, build.args);
  const labels = { [BUILD_LABEL]: fingerprint };
  const found = new Map<string, boolean>();
  const alreadyThere = async (host: HostDeployer): Promise<boolean> => {
    if (snapshot.dirty) return false;
    if (!found.has(host.exec.host)) found.set(host.exec.host, (await host.buildLabel(tag)) === fingerprint);
    return found.get(host.exec.host) === true;
  };
  const reused = (host: HostDeployer, not: string): ImageDelivery => {
    note(`${host.exec.host}: image for ${snapshot.version} already on the host, not ${not}.`);
    return 'reused';
  };
  const scratch = scratchDirectory();
  const archive = join(scratch.dir, 'context.tar');
  await contextArchive(context, archive);
  if (build.on === 'host') {
    return {
      describe: 'built on the host',
      buildsOn: async (host) => !(await alreadyThere(host)),
      deliver: async (host, reporter) => {
        if (await alreadyThere(host)) return reused(host, 'rebuilt');
        await host.buildOnHost(archive, tag, labels, reporter);
        return 'built on the host';
      },
      cleanup: scratch.remove,
    };
  }
  const image = join(scratch.dir, 'image.tar.gz');
  let saved = false;
  return {
    describe: 'built here, uploaded',
    buildsOn: () => Promise.resolve(false),
    deliver: async (host, reporter) => {
      if (await alreadyThere(host)) return reused(host, 'uploaded');
      if (!saved) {
        // The local Docker may have it from an earlier deploy of the same commit: then only the upload is left.
        if (snapshot.dirty || (await localBuildLabel(tag)) !== fingerprint) await buildLocally(archive, tag, build.args, build.network, labels, reporter);
        await saveImage(tag, image, reporter);
        saved = true;
      }
      await host.loadImage(image, tag);
      return 'uploaded';
    },
    cleanup: scratch.remove,
  };
}

/**
 * Images with node that may already be on a host, to check the database from a container before any build:
 * the serving release's, this release's, and the Dockerfile's base images.
 */
export async function probeImages(host: HostDeployer, build: TargetConfig['build'], tag: string): Promise<string[]> {
  const serving = await host.serving();
  const servingImage = serving ? (await host.releases.list()).releases.find((release) => release.id === serving.release)?.image : undefined;
  const candidates = [servingImage, tag, build.args.RUNTIME_IMAGE || DEFAULT_BASE_IMAGE, build.args.BUILD_IMAGE || DEFAULT_BASE_IMAGE];
  return [...new Set(candidates.filter((image): image is string => Boolean(image)))];
}

/**
 * Runs `start` (which spawns a process: the CLI, sshd) under `mask`; the child keeps the umask it was
 * started with. `withUmask(0o000, …)` shows which files a program leaves open to everyone.
 */
export function withUmask<T>(mask: number, start: () => T): T {
  const previous = process.umask(mask);
  try {
    return start();
  } finally {
    process.umask(previous);
  }
}

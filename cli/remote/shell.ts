/** A remote command as argv; rendered for `sh -c` with every argument quoted. Builders return these. */
export type RemoteCommand = readonly string[];

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** POSIX single-quoting: the argument reaches the program exactly as given, whatever it contains. */
export function quote(argument: string): string {
  if (argument === '') return "''";
  if (SAFE.test(argument)) return argument;
  return `'${argument.replace(/'/g, `'\\''`)}'`;
}

export function render(command: RemoteCommand): string {
  return command.map(quote).join(' ');
}

/** A shell script run with `sh -c`, its inputs passed as positional parameters ($1, $2, …), never spliced in. */
export function script(name: string, body: string, ...parameters: string[]): RemoteCommand {
  return ['sh', '-c', body, name, ...parameters];
}

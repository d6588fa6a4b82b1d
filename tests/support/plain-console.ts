import { Console } from 'node:console';

// oclif writes through console.log; jest's console adds "console.log at ..." framing that would pollute the
// output the CLI tests capture.
globalThis.console = new Console({ stdout: process.stdout, stderr: process.stderr });

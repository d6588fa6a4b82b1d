export default async function globalTeardown(): Promise<void> {
  const services = globalThis.__nexusTestServices;
  for (const stop of (services?.stops ?? []).reverse()) await stop();
}

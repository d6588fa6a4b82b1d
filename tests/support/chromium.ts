import type { Browser } from 'playwright-core';
import { findBinary } from './components';

/** Debian's chromium, the browser page tests drive through playwright-core. */
export const CHROMIUM = findBinary('chromium');

/** Chromium as these machines run it: headless, and no background connections (there is no network to reach). */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

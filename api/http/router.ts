import express, { type Router } from 'express';

/**
 * Every router of the app matches paths case-sensitively, as the old backend and nginx's `location`s do: a
 * case variant of a route (`/API/v1/…`) is an unknown path (JSON 404), not a second spelling that other
 * path-based rules (rate-limit classes, the cache fast lane, nginx zones) would not recognise. Only the
 * trailing slash stays optional.
 */
export const ROUTER_OPTIONS = { caseSensitive: true, strict: false } as const;

export function caseSensitiveRouter(): Router {
  return express.Router(ROUTER_OPTIONS);
}

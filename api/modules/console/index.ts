export { consoleRouter } from './routes';
export type { ConsoleDeps } from './routes';
export { createViews } from './views';

export { docsRouter } from './routes';
export { createRegistry, generateDocument } from './openapi';

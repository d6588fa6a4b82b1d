export { packageRoot } from '../api/infra/package-root';

import type { Endpoint } from '../../http/endpoint';
import { healthEndpoints, legacyHealthEndpoints } from './routes';
import { HealthService, type HealthDeps } from './service';

export interface HealthModule {
  endpoints: Endpoint[];
  legacyEndpoints: Endpoint[];
  service: HealthService;
}

export function createHealthModule(deps: HealthDeps): HealthModule {
  const service = new HealthService(deps);
  return { endpoints: healthEndpoints(service), legacyEndpoints: legacyHealthEndpoints(), service };
}

export { SERVICE_NAME } from './service';

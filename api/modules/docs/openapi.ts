import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';

export const API_TITLE = 'nexus API';

export function createRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An access token from `POST /api/v1/auth/login/`, sent as `Authorization: Bearer <token>`.',
  });
  return registry;
}

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
export function generateDocument(registry: OpenAPIRegistry, version: string): object {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: API_TITLE,
      version,
      description:
        'Headless e-commerce REST API. Wire-compatible with the previous Django backend; see docs/api for the differences. ' +
        'Authenticate with a Bearer access token from `/api/v1/auth/login/`.',
    },
    servers: [{ url: '/' }],
  });
}

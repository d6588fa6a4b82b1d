import { z } from 'zod';

export const detailErrorSchema = z
  .object({
    detail: z.string(),
    code: z.string().meta({ description: 'Stable machine-readable error code, e.g. `not_authenticated`, `token_not_valid`.' }),
  })
  .meta({ id: 'ErrorDetail', description: 'A request-level error (DRF shape) with a stable code.' });

export const fieldErrorsSchema = z
  .object({ code: z.string(), non_field_errors: z.array(z.string()).optional() })
  .catchall(z.union([z.array(z.string()), z.record(z.string(), z.unknown())]))
  .meta({
    id: 'ValidationErrors',
    // No example here: each operation's 400 carries its own (api/http/endpoint-openapi.ts), made by its own validator.
    description: 'Validation errors (DRF shape): each invalid field maps to its messages; `non_field_errors` holds object-level ones.',
  });

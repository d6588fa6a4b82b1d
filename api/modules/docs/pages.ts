/** HTML shells of the two documentation pages; every script is an external file (no inline script). */

export function swaggerPage(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title} · Swagger UI</title>
  <link rel="stylesheet" href="/api/v1/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/api/v1/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/v1/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/api/v1/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/api/v1/docs/assets/swagger-init.js"></script>
</body>
</html>
`;
}

export function redocPage(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title} · ReDoc</title>
  <link rel="icon" type="image/png" href="/api/v1/docs/assets/favicon-32x32.png">
</head>
<body>
  <redoc spec-url="/api/v1/schema/"></redoc>
  <script src="/api/v1/redoc/redoc.standalone.js"></script>
</body>
</html>
`;
}

/** Swagger UI's start-up script, served as a file rather than inlined so the CSP can forbid inline scripts. */
export const SWAGGER_INIT_SCRIPT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/api/v1/schema/',
    dom_id: '#swagger-ui',
    deepLinking: true,
    persistAuthorization: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
  });
});
`;

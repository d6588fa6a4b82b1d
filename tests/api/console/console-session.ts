import request from 'supertest';
import type { TestApi } from '../../support/api';
import type { RegisteredUser } from '../../support/users';

export interface ConsoleBrowser {
  agent: request.Agent;
  csrf: string;
}

/** The CSRF token a console page's forms carry. */
export const csrfIn = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

/** Signs a staff member in through the console's form, as a browser does (the form's CSRF cookie, then POST). */
export async function consoleSignIn(api: TestApi, user: RegisteredUser, agent = request.agent(api.app)): Promise<ConsoleBrowser & { response: request.Response }> {
  const form = await agent.get('/admin/login/');
  const response = await agent.post('/admin/login/').type('form').send({ csrf: csrfIn(form.text), email: user.email, password: user.password, next: '/admin/users/' });
  const page = await agent.get('/admin/');
  return { agent, csrf: csrfIn(page.text), response };
}

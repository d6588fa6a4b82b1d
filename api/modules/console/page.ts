import type { Response } from 'express';

/** Renders a signed-in page: the layout gets the staff member, the CSRF token and the current section. */
export type View = (res: Response, status: number, name: string, section: string, data: Record<string, unknown>) => void;

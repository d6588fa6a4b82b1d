import { join } from 'node:path';
import { Eta } from 'eta';
import { packageRoot } from '../../infra/package-root';

/** The mail templates (templates/mail, shipped with the package and the image). */
export const MAIL_TEMPLATES = join(packageRoot(), 'templates', 'mail');

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export type RenderMail = (template: string, data: object) => RenderedMail;

/**
 * Renders `<template>.subject.eta`, `.text.eta` and `.html.eta` from `dir`. The HTML part escapes every `<%=`
 * (customer-written names and addresses must not become markup); the subject and the text part are plain text,
 * where escaping would only show `&amp;` to the reader. Line breaks are kept as written (a text part is laid
 * out by them): a control line ends in `-%>` to drop its own. Templates are compiled once and cached.
 */
export function createMailRenderer(dir: string = MAIL_TEMPLATES): RenderMail {
  const html = new Eta({ views: dir, cache: true, autoEscape: true, autoTrim: false });
  const plain = new Eta({ views: dir, cache: true, autoEscape: false, autoTrim: false });
  return (template, data) => ({
    // One line, whatever the template's line breaks: a header cannot carry them.
    subject: plain.render(`./${template}.subject.eta`, data).replace(/\s+/g, ' ').trim(),
    text: `${plain.render(`./${template}.text.eta`, data).replace(/\n{3,}/g, '\n\n').trim()}\n`,
    html: html.render(`./${template}.html.eta`, data),
  });
}

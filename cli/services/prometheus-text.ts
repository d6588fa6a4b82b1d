/** One sample of the Prometheus text exposition format: `name{label="value",…} 12.5`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', n: '\n' };

/** Go's float syntax as Prometheus writes it, and its special values. */
function parseValue(text: string): number | undefined {
  if (/^[+-]?Inf$/.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (text === 'NaN') return NaN;
  const value = Number(text);
  return text !== '' && !Number.isNaN(value) ? value : undefined;
}

/** `{a="x",b="y\"z"}` from the start of `text`: the labels and where the block ended, or undefined when malformed. */
function parseLabels(text: string): { labels: Record<string, string>; end: number } | undefined {
  const labels: Record<string, string> = {};
  let at = 1;
  for (;;) {
    while (text[at] === ' ' || text[at] === ',') at += 1;
    if (text[at] === '}') return { labels, end: at + 1 };
    const name = LABEL_NAME.exec(text.slice(at))?.[0];
    if (!name || text[at + name.length] !== '=' || text[at + name.length + 1] !== '"') return undefined;
    at += name.length + 2;
    let value = '';
    while (text[at] !== '"') {
      if (at >= text.length) return undefined;
      if (text[at] === '\\') {
        const escaped = ESCAPES[text[at + 1] ?? ''];
        value += escaped ?? `\\${text[at + 1] ?? ''}`;
        at += 2;
      } else {
        value += text[at];
        at += 1;
      }
    }
    labels[name] = value;
    at += 1;
  }
}

/**
 * The samples of a scrape in the text format (version 0.0.4, what prom-client writes). Comments (# HELP,
 * # TYPE) and lines that do not parse are skipped: a headline is computed from what could be read, never refused
 * for one odd line. Timestamps after the value are ignored.
 */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const name = NAME.exec(line)?.[0];
    if (!name) continue;
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      const parsed = parseLabels(rest);
      if (!parsed) continue;
      labels = parsed.labels;
      rest = rest.slice(parsed.end);
    }
    const value = parseValue(rest.trim().split(/\s+/)[0] ?? '');
    if (value !== undefined) samples.push({ name, labels, value });
  }
  return samples;
}

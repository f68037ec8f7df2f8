// The domain words of the step library, parsed with errors that list what is
// accepted. Cucumber parameter types are thin wrappers over these.
import { parseDuration } from '../manifests/duration.ts';
import { parseImageRef } from '../platform/local/catalog.ts';

export class VocabularyError extends Error {
  constructor(kind: string, text: string, forms: string[]) {
    super(`"${text}" is not a ${kind}: accepted forms are ${forms.map((f) => `"${f}"`).join(', ')}`);
    this.name = 'VocabularyError';
  }
}

export const DURATION_EXAMPLES = ['2 minutes', '30 seconds', '1 minute 30 seconds', '500 milliseconds', '1.5 hours', '30s', '2m', '1h30m', '250ms', '250 ms'];
const HUMAN_UNIT_MS: Record<string, number> = { millisecond: 1, second: 1000, minute: 60_000, hour: 3_600_000 };

/** "2 minutes", "1 minute and 30 seconds", or a Go duration ("90s", "1h30m"): milliseconds. */
export function parseHumanDuration(text: string): number {
  // "250 ms" reads as naturally as "250ms".
  const t = text.trim().replace(/^(\d+(?:\.\d+)?)\s+(ms|s|m|h)$/, '$1$2');
  if (/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(t)) return parseDuration(t) as number;
  const words = t.replace(/\s+and\s+/g, ' ');
  if (!/^(\d+(\.\d+)?\s*(millisecond|second|minute|hour)s?\s*)+$/.test(words)) throw new VocabularyError('duration', text, DURATION_EXAMPLES);
  let ms = 0;
  for (const [, n, unit] of words.matchAll(/(\d+(?:\.\d+)?)\s*(millisecond|second|minute|hour)/g)) ms += Number(n) * (HUMAN_UNIT_MS[unit as string] as number);
  return ms;
}

export const PERCENT_EXAMPLES = ['10%', '99.9%', '10 percent'];

/** "25%" or "25 percent": a number from 0 to 100. */
export function parsePercent(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%|percent)\s*$/.exec(text);
  const value = m ? Number(m[1]) : NaN;
  if (!(value >= 0 && value <= 100)) throw new VocabularyError('percentage (0 to 100)', text, PERCENT_EXAMPLES);
  return value;
}

export const RATE_EXAMPLES = ['300 requests per second', '1 request per second', '6000 requests per minute', '50 req/s'];

/** "300 requests per second": requests per second. */
export function parseRate(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:requests?\s+per\s+(second|minute)|req\/(s|min))\s*$/.exec(text);
  if (!m) throw new VocabularyError('request rate', text, RATE_EXAMPLES);
  const n = Number(m[1]);
  const perMinute = m[2] === 'minute' || m[3] === 'min';
  const rate = perMinute ? n / 60 : n;
  if (!(rate > 0) || rate > 20_000) throw new Error(`"${text}": the rate must be above 0 and at most 20000 requests per second`);
  return rate;
}

/** An image reference as a manifest writes it. */
export function parseImage(text: string): string {
  parseImageRef(text);
  return text;
}

/** The version a response names in X-App-Version for an image: its tag. */
export const versionOfImage = (image: string) => parseImageRef(image).tag;

const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes object name (RFC 1123 label). */
export function parseObjectName(kind: string, text: string): string {
  if (!NAME_RE.test(text) || text.length > 63) {
    throw new Error(`"${text}" is not a ${kind} name: expected lower-case letters, digits and "-", starting and ending with a letter or digit (e.g. "tinyurl")`);
  }
  return text;
}

/** "10, 25, 50, 75, 100" or "10, 25 and 50". */
export function parseNumberList(text: string): number[] {
  const items = text.split(/\s*(?:,|\band\b)\s*/).filter(Boolean);
  const numbers = items.map(Number);
  if (items.length === 0 || numbers.some((n) => !Number.isFinite(n))) throw new Error(`"${text}" is not a list of numbers: expected e.g. "10, 25, 50, 75, 100"`);
  return numbers;
}

/** A step's comma-separated list ("k8s/canary, k8s/analysis"): trimmed, empty entries dropped. */
export const commaList = (text: string): string[] => text.split(',').map((s) => s.trim()).filter((s) => s !== '');

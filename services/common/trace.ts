// W3C Trace Context on the service side: the trace id a request carries (the
// cutover router always sends one), used as the request id of every log line.
import crypto from 'node:crypto';

const TRACEPARENT = /^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The trace id of a request's traceparent header, or a new one when it carries none that is well-formed. */
export function traceIdOf(traceparent: unknown): string {
  const m = typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent) : null;
  return m ? (m[1] as string) : crypto.randomBytes(16).toString('hex');
}

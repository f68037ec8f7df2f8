// Input validation: every body, query and path parameter goes through zod and
// fails as a 400 with one entry per offending field.
import type { z } from 'zod';

export interface FieldError {
  field: string;
  message: string;
}

export class ValidationError extends Error {
  override name = 'ValidationError';
  readonly statusCode = 400;
  constructor(readonly fields: FieldError[]) {
    super(`invalid input: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`);
  }
}

export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((i) => ({
      field: [where, ...i.path.map(String)].join('.'),
      message: i.message,
    })),
  );
}

/** An error whose message is safe to show to the client, with its status. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(readonly statusCode: number, message: string) {
    super(message);
  }
}

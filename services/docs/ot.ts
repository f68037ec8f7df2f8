// The OT type every part of Docs uses: ot-text-unicode (positions count
// Unicode code points). Also bundled into the editor page, so no zod here.
import otText from 'ot-text-unicode';

export type TextOp = (number | string | { d: number | string })[];

export const textType = otText.type as unknown as {
  apply(doc: string, op: TextOp): string;
  transform(op: TextOp, other: TextOp, side: 'left' | 'right'): TextOp;
  compose(a: TextOp, b: TextOp): TextOp;
  normalize(op: TextOp): TextOp;
  checkOp(op: TextOp): void;
  transformPosition(cursor: number, op: TextOp): number;
  isNoop(op: TextOp): boolean;
};

/** The op that turns `before` into `after`: one retain, one delete, one insert. */
export function diffToOp(before: string, after: string): TextOp {
  const a = Array.from(before);
  const b = Array.from(after);
  let start = 0;
  // eslint-disable-next-line security/detect-object-injection -- numeric indices into arrays of characters
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const op: TextOp = [];
  if (endA === start && endB === start) return op;
  if (start > 0) op.push(start);
  if (endA > start) op.push({ d: endA - start });
  if (endB > start) op.push(b.slice(start, endB).join(''));
  return op;
}

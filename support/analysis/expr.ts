// The condition language of Argo Rollouts' successCondition and
// failureCondition: the subset of expr-lang (github.com/expr-lang/expr) that
// Argo's documentation and examples use. No JavaScript library speaks it, so
// this is a small tokenizer, a precedence-climbing parser and an evaluator.
//
//   literals     1  2.5  1e3  'text'  "text"  true  false  nil  [1, 2]
//   names        result, args and any other variable given to evaluate()
//   access       a.b  a[0]  a[-1]  a['key']
//   operators    ! not  - +  **  * / %  + -  == != < <= > >=  in  not in
//                contains startsWith endsWith matches  && and  || or  ??  c ? a : b
//   functions    len asInt asFloat isNaN isInf isNil default
//                all any none one filter map count (predicate: {# > 1} or # > 1)

export class ExprError extends Error {
  override name = 'ExprError';
  constructor(message: string, readonly expression: string, readonly column?: number) {
    super(column === undefined ? `${message} in ${JSON.stringify(expression)}` : `${message} at column ${column} of ${JSON.stringify(expression)}`);
  }
}

type Token =
  | { kind: 'number'; value: number; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'name'; value: string; pos: number }
  | { kind: 'op'; value: string; pos: number }
  | { kind: 'end'; pos: number };

const OPERATORS = ['**', '==', '!=', '<=', '>=', '&&', '||', '??', '?.', '..', '!', '<', '>', '+', '-', '*', '/', '%', '^', '(', ')', '[', ']', '{', '}', ',', '.', '?', ':', '#'];

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(?:\d[\d_]*)?(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(src.slice(i)) as RegExpExecArray;
      tokens.push({ kind: 'number', value: Number(m[0].replace(/_/g, '')), pos: i });
      i += m[0].length;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      let value = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && c !== '`') {
          const next = src[j + 1] ?? '';
          value += ({ n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' } as Record<string, string>)[next] ?? next;
          j += 2;
        } else {
          value += src[j];
          j++;
        }
      }
      if (j >= src.length) throw new ExprError('unterminated string', src, i + 1);
      tokens.push({ kind: 'string', value, pos: i });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(src.slice(i)) as RegExpExecArray;
      tokens.push({ kind: 'name', value: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (op === undefined) throw new ExprError(`unexpected character ${JSON.stringify(c)}`, src, i + 1);
    tokens.push({ kind: 'op', value: op, pos: i });
    i += op.length;
  }
  tokens.push({ kind: 'end', pos: src.length });
  return tokens;
}

export type Node =
  | { type: 'literal'; value: unknown }
  | { type: 'name'; name: string; pos: number }
  | { type: 'element' }
  | { type: 'array'; items: Node[] }
  | { type: 'member'; object: Node; property: Node; optional: boolean; pos: number }
  | { type: 'call'; callee: string; args: Node[]; pos: number }
  | { type: 'unary'; op: string; operand: Node; pos: number }
  | { type: 'binary'; op: string; left: Node; right: Node; pos: number }
  | { type: 'conditional'; test: Node; then: Node; otherwise: Node };

// Binding power of binary operators, lowest first (expr-lang's order).
const BINARY: Record<string, number> = {
  '??': 1,
  '||': 2, or: 2,
  '&&': 3, and: 3,
  '==': 4, '!=': 4, '<': 4, '>': 4, '<=': 4, '>=': 4, in: 4, 'not in': 4,
  matches: 4, contains: 4, startsWith: 4, endsWith: 4,
  '+': 6, '-': 6,
  '*': 7, '/': 7, '%': 7,
  '**': 9, '^': 9,
};
const RIGHT_ASSOCIATIVE = new Set(['**', '^', '??']);
const UNARY_POWER = 8;
const PREDICATE_FUNCTIONS = new Set(['all', 'any', 'none', 'one', 'filter', 'map', 'count']);

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[], private readonly src: string) {}

  private peek(): Token {
    return this.tokens[this.i] as Token;
  }
  private next(): Token {
    return this.tokens[this.i++] as Token;
  }
  private isOp(value: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.value === value;
  }
  private expect(value: string): void {
    const t = this.next();
    if (t.kind !== 'op' || t.value !== value) {
      throw new ExprError(`expected "${value}" but found ${describe(t)}`, this.src, t.pos + 1);
    }
  }

  parseAll(): Node {
    const node = this.parseExpression(0);
    const t = this.peek();
    if (t.kind !== 'end') throw new ExprError(`unexpected ${describe(t)}`, this.src, t.pos + 1);
    return node;
  }

  private binaryOperator(): { op: string; width: number } | undefined {
    const t = this.peek();
    if (t.kind === 'op' && t.value in BINARY) return { op: t.value, width: 1 };
    if (t.kind === 'name') {
      if (t.value === 'not') {
        const after = this.tokens[this.i + 1];
        if (after?.kind === 'name' && after.value === 'in') return { op: 'not in', width: 2 };
        return undefined;
      }
      if (t.value in BINARY) return { op: t.value, width: 1 };
    }
    return undefined;
  }

  parseExpression(minPower: number): Node {
    let left = this.parseUnary();
    for (;;) {
      if (this.isOp('?') && minPower === 0) {
        this.next();
        const then = this.parseExpression(0);
        this.expect(':');
        const otherwise = this.parseExpression(0);
        left = { type: 'conditional', test: left, then, otherwise };
        continue;
      }
      const found = this.binaryOperator();
      if (found === undefined) return left;
      const power = BINARY[found.op] as number;
      if (power <= minPower) return left;
      const pos = this.peek().pos;
      this.i += found.width;
      const right = this.parseExpression(RIGHT_ASSOCIATIVE.has(found.op) ? power - 1 : power);
      left = { type: 'binary', op: found.op, left, right, pos };
    }
  }

  private parseUnary(): Node {
    const t = this.peek();
    if ((t.kind === 'op' && (t.value === '!' || t.value === '-' || t.value === '+')) || (t.kind === 'name' && t.value === 'not')) {
      this.next();
      const operand = this.parseExpression(UNARY_POWER);
      return { type: 'unary', op: t.value === 'not' ? '!' : t.value, operand, pos: t.pos };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePostfix(node: Node): Node {
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && (t.value === '.' || t.value === '?.')) {
        this.next();
        const name = this.next();
        if (name.kind !== 'name') throw new ExprError(`expected a field name after "${t.value}"`, this.src, name.pos + 1);
        node = { type: 'member', object: node, property: { type: 'literal', value: name.value }, optional: t.value === '?.', pos: name.pos };
      } else if (t.kind === 'op' && t.value === '[') {
        this.next();
        const property = this.parseExpression(0);
        this.expect(']');
        node = { type: 'member', object: node, property, optional: false, pos: t.pos };
      } else {
        return node;
      }
    }
  }

  private parsePrimary(): Node {
    const t = this.next();
    switch (t.kind) {
      case 'number':
      case 'string':
        return { type: 'literal', value: t.value };
      case 'name': {
        if (t.value === 'true' || t.value === 'false') return { type: 'literal', value: t.value === 'true' };
        if (t.value === 'nil') return { type: 'literal', value: null };
        if (this.isOp('(')) return this.parseCall(t.value, t.pos);
        return { type: 'name', name: t.value, pos: t.pos };
      }
      case 'op':
        if (t.value === '(') {
          const inner = this.parseExpression(0);
          this.expect(')');
          return inner;
        }
        if (t.value === '[') {
          const items: Node[] = [];
          while (!this.isOp(']')) {
            items.push(this.parseExpression(0));
            if (!this.isOp(']')) this.expect(',');
          }
          this.next();
          return { type: 'array', items };
        }
        if (t.value === '#') return { type: 'element' };
        throw new ExprError(`unexpected ${describe(t)}`, this.src, t.pos + 1);
      case 'end':
        throw new ExprError('unexpected end of expression', this.src, t.pos + 1);
    }
  }

  private parseCall(callee: string, pos: number): Node {
    this.expect('(');
    const args: Node[] = [];
    while (!this.isOp(')')) {
      if (this.isOp('{') && PREDICATE_FUNCTIONS.has(callee)) {
        this.next();
        args.push(this.parseExpression(0));
        this.expect('}');
      } else {
        args.push(this.parseExpression(0));
      }
      if (!this.isOp(')')) this.expect(',');
    }
    this.next();
    return { type: 'call', callee, args, pos };
  }
}

function describe(t: Token): string {
  if (t.kind === 'end') return 'the end of the expression';
  if (t.kind === 'string') return `string ${JSON.stringify(t.value)}`;
  return `"${String(t.value)}"`;
}

export function parseExpression(src: string): Node {
  if (src.trim() === '') throw new ExprError('empty expression', src);
  return new Parser(tokenize(src), src).parseAll();
}

type Env = Record<string, unknown>;

const typeName = (v: unknown) => (v === null || v === undefined ? 'nil' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'map' : typeof v);

function asNumber(v: unknown, what: string, src: string): number {
  if (typeof v === 'number') return v;
  throw new ExprError(`${what}: expected a number, got ${typeName(v)} ${JSON.stringify(v)}`, src);
}

function equal(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  return a === b;
}

class Evaluator {
  constructor(private readonly src: string) {}

  run(node: Node, env: Env, element?: unknown): unknown {
    switch (node.type) {
      case 'literal':
        return node.value;
      case 'element':
        if (element === undefined) throw new ExprError('"#" is only meaningful inside a predicate of all/any/none/one/filter/map/count', this.src);
        return element;
      case 'name':
        if (!(node.name in env)) {
          throw new ExprError(`unknown name "${node.name}" (known: ${Object.keys(env).join(', ') || 'none'})`, this.src, node.pos + 1);
        }
        return env[node.name];
      case 'array':
        return node.items.map((n) => this.run(n, env, element));
      case 'member':
        return this.member(node, env, element);
      case 'unary': {
        const v = this.run(node.operand, env, element);
        if (node.op === '!') {
          if (typeof v !== 'boolean') throw new ExprError(`"!" needs a bool, got ${typeName(v)}`, this.src, node.pos + 1);
          return !v;
        }
        const n = asNumber(v, `unary "${node.op}"`, this.src);
        return node.op === '-' ? -n : n;
      }
      case 'conditional': {
        const test = this.run(node.test, env, element);
        if (typeof test !== 'boolean') throw new ExprError(`the condition of "?:" must be a bool, got ${typeName(test)}`, this.src);
        return test ? this.run(node.then, env, element) : this.run(node.otherwise, env, element);
      }
      case 'binary':
        return this.binary(node, env, element);
      case 'call':
        return this.call(node, env, element);
    }
  }

  private member(node: Extract<Node, { type: 'member' }>, env: Env, element: unknown): unknown {
    const object = this.run(node.object, env, element);
    const key = this.run(node.property, env, element);
    if (object === null || object === undefined) {
      if (node.optional) return null;
      throw new ExprError(`cannot read ${JSON.stringify(key)} of nil`, this.src, node.pos + 1);
    }
    if (Array.isArray(object) || typeof object === 'string') {
      const items = typeof object === 'string' ? Array.from(object) : object;
      if (typeof key !== 'number' || !Number.isInteger(key)) throw new ExprError(`an array index must be an integer, got ${JSON.stringify(key)}`, this.src, node.pos + 1);
      const index = key < 0 ? items.length + key : key;
      if (index < 0 || index >= items.length) {
        throw new ExprError(`index ${key} out of range (length ${items.length})`, this.src, node.pos + 1);
      }
      return items[index];
    }
    if (typeof object === 'object') {
      return Object.prototype.hasOwnProperty.call(object, String(key)) ? (object as Record<string, unknown>)[String(key)] : null;
    }
    throw new ExprError(`cannot index a ${typeName(object)}`, this.src, node.pos + 1);
  }

  private binary(node: Extract<Node, { type: 'binary' }>, env: Env, element: unknown): unknown {
    const { op } = node;
    const left = this.run(node.left, env, element);
    // Short-circuit operators look at the right side only when they need it.
    if (op === '&&' || op === 'and' || op === '||' || op === 'or') {
      if (typeof left !== 'boolean') throw new ExprError(`"${op}" needs bools, got ${typeName(left)}`, this.src, node.pos + 1);
      if ((op === '&&' || op === 'and') && !left) return false;
      if ((op === '||' || op === 'or') && left) return true;
      const right = this.run(node.right, env, element);
      if (typeof right !== 'boolean') throw new ExprError(`"${op}" needs bools, got ${typeName(right)}`, this.src, node.pos + 1);
      return right;
    }
    if (op === '??') return left === null || left === undefined ? this.run(node.right, env, element) : left;
    const right = this.run(node.right, env, element);
    switch (op) {
      case '==':
        return equal(left, right);
      case '!=':
        return !equal(left, right);
      case 'in':
      case 'not in': {
        let found: boolean;
        if (Array.isArray(right)) found = right.some((x) => equal(x, left));
        else if (right !== null && typeof right === 'object') found = Object.prototype.hasOwnProperty.call(right, String(left));
        else throw new ExprError(`"${op}" needs an array or a map on its right, got ${typeName(right)}`, this.src, node.pos + 1);
        return op === 'in' ? found : !found;
      }
      case 'contains':
      case 'startsWith':
      case 'endsWith':
      case 'matches': {
        if (typeof left !== 'string' || typeof right !== 'string') {
          throw new ExprError(`"${op}" needs strings, got ${typeName(left)} and ${typeName(right)}`, this.src, node.pos + 1);
        }
        if (op === 'contains') return left.includes(right);
        if (op === 'startsWith') return left.startsWith(right);
        if (op === 'endsWith') return left.endsWith(right);
        try {
          return new RegExp(right).test(left);
        } catch {
          throw new ExprError(`invalid regular expression ${JSON.stringify(right)}`, this.src, node.pos + 1);
        }
      }
      case '+':
        if (typeof left === 'string' && typeof right === 'string') return left + right;
        return asNumber(left, '"+"', this.src) + asNumber(right, '"+"', this.src);
      case '<':
      case '>':
      case '<=':
      case '>=': {
        if (!((typeof left === 'number' && typeof right === 'number') || (typeof left === 'string' && typeof right === 'string'))) {
          throw new ExprError(`"${op}" compares two numbers or two strings, got ${typeName(left)} ${JSON.stringify(left)} and ${typeName(right)} ${JSON.stringify(right)}`, this.src, node.pos + 1);
        }
        if (op === '<') return left < right;
        if (op === '>') return left > right;
        if (op === '<=') return left <= right;
        return left >= right;
      }
    }
    const a = asNumber(left, `"${op}"`, this.src);
    const b = asNumber(right, `"${op}"`, this.src);
    switch (op) {
      case '-':
        return a - b;
      case '*':
        return a * b;
      case '/':
        return a / b;
      case '%':
        if (b === 0) throw new ExprError('modulo by zero', this.src, node.pos + 1);
        return a % b;
      default:
        return a ** b;
    }
  }

  private call(node: Extract<Node, { type: 'call' }>, env: Env, element: unknown): unknown {
    const { callee, args } = node;
    const arity = (n: number) => {
      if (args.length !== n) throw new ExprError(`${callee}() takes ${n} argument${n === 1 ? '' : 's'}, got ${args.length}`, this.src, node.pos + 1);
    };
    if (PREDICATE_FUNCTIONS.has(callee)) {
      arity(2);
      const list = this.run(args[0] as Node, env, element);
      if (!Array.isArray(list)) throw new ExprError(`${callee}() needs an array first, got ${typeName(list)}`, this.src, node.pos + 1);
      const predicate = args[1] as Node;
      const test = (x: unknown) => {
        const v = this.run(predicate, env, x);
        if (callee !== 'map' && typeof v !== 'boolean') throw new ExprError(`the predicate of ${callee}() must give a bool, got ${typeName(v)}`, this.src, node.pos + 1);
        return v;
      };
      switch (callee) {
        case 'all':
          return list.every((x) => test(x));
        case 'any':
          return list.some((x) => test(x));
        case 'none':
          return !list.some((x) => test(x));
        case 'one':
          return list.filter((x) => test(x)).length === 1;
        case 'filter':
          return list.filter((x) => test(x));
        case 'count':
          return list.filter((x) => test(x)).length;
        default:
          return list.map((x) => test(x));
      }
    }
    const values = args.map((a) => this.run(a, env, element));
    const [x, y] = values;
    switch (callee) {
      case 'len':
        arity(1);
        if (typeof x === 'string') return Array.from(x).length;
        if (Array.isArray(x)) return x.length;
        if (x !== null && typeof x === 'object') return Object.keys(x).length;
        throw new ExprError(`len() needs a string, array or map, got ${typeName(x)}`, this.src, node.pos + 1);
      case 'asInt': {
        arity(1);
        const n = typeof x === 'string' ? Number(x.trim()) : x;
        if (typeof n !== 'number' || !Number.isInteger(n) || (typeof x === 'string' && x.trim() === '')) {
          throw new ExprError(`asInt() cannot convert ${typeName(x)} ${JSON.stringify(x)} to an integer`, this.src, node.pos + 1);
        }
        return n;
      }
      case 'asFloat': {
        arity(1);
        const n = typeof x === 'string' ? (/^\s*[+-]?(nan|inf|infinity)\s*$/i.test(x) ? parseSpecial(x) : Number(x.trim())) : x;
        if (typeof n !== 'number' || (typeof x === 'string' && (x.trim() === '' || (Number.isNaN(n) && !/nan/i.test(x))))) {
          throw new ExprError(`asFloat() cannot convert ${typeName(x)} ${JSON.stringify(x)} to a number`, this.src, node.pos + 1);
        }
        return n;
      }
      case 'isNaN':
        arity(1);
        return Number.isNaN(asNumber(x, 'isNaN()', this.src));
      case 'isInf':
        arity(1);
        return Math.abs(asNumber(x, 'isInf()', this.src)) === Infinity;
      case 'isNil':
        arity(1);
        return x === null || x === undefined;
      case 'default':
        arity(2);
        return x === null || x === undefined ? y : x;
      case 'abs':
        arity(1);
        return Math.abs(asNumber(x, 'abs()', this.src));
      default:
        throw new ExprError(`unknown function ${callee}()`, this.src, node.pos + 1);
    }
  }
}

function parseSpecial(s: string): number {
  const t = s.trim().toLowerCase();
  if (t.endsWith('nan')) return NaN;
  return t.startsWith('-') ? -Infinity : Infinity;
}

export interface CompiledExpression {
  source: string;
  evaluate(env: Env): unknown;
  /** Evaluates and insists on a bool, as success and failure conditions must give. */
  test(env: Env): boolean;
}

/** Parses once; evaluation errors name the expression and what went wrong. */
export function compileExpression(source: string): CompiledExpression {
  const ast = parseExpression(source);
  const evaluator = new Evaluator(source);
  return {
    source,
    evaluate: (env) => evaluator.run(ast, env),
    test: (env) => {
      const v = evaluator.run(ast, env);
      if (typeof v !== 'boolean') throw new ExprError(`the condition gave ${typeName(v)} ${JSON.stringify(v)}, expected a bool`, source);
      return v;
    },
  };
}

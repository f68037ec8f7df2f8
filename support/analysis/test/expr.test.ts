import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compileExpression, ExprError, parseExpression } from '../expr.ts';

const ev = (src: string, env: Record<string, unknown> = {}) => compileExpression(src).evaluate(env);

test("the conditions in Argo's docs and examples", () => {
  const cases: [string, Record<string, unknown>, unknown][] = [
    ['result[0] >= 0.95', { result: [0.97] }, true],
    ['result[0] >= 0.95', { result: [0.9] }, false],
    ['result >= 0.90', { result: 0.91 }, true],
    ['result < 0.50', { result: 0.91 }, false],
    ["result == 'true'", { result: 'true' }, true],
    ['asFloat(result) >= 0.90', { result: '0.95' }, true],
    ['asInt(result) > 5', { result: '7' }, true],
    ['len(result) == 0 || result[0] < 100', { result: [] }, true],
    ['len(result) == 0 || result[0] < 100', { result: [150] }, false],
    ['result[0] >= 0.95 && result[1] < 0.5', { result: [0.99, 0.1] }, true],
    ['isNaN(result[0]) || result[0] >= 0.95', { result: [NaN] }, true],
    ['default(result, 0) >= 0.95', { result: null }, false],
    ['all(result, {# > 0.9})', { result: [0.95, 0.99] }, true],
    ['all(result, # > 0.9)', { result: [0.95, 0.8] }, false],
    ['any(result, {# < 0.5})', { result: [0.95, 0.3] }, true],
    ['result.ok == true', { result: { ok: true } }, true],
    ["result['success-rate'] > 0.9", { result: { 'success-rate': 0.95 } }, true],
    ['!(result[0] < 0.95)', { result: [0.97] }, true],
    ['not (result < 1)', { result: 2 }, true],
    ['isInf(result)', { result: Infinity }, true],
    ['isNil(result)', { result: null }, true],
    ['result[-1] == 3', { result: [1, 2, 3] }, true],
  ];
  for (const [src, env, expected] of cases) assert.equal(ev(src, env), expected, src);
});

test('operators and precedence', () => {
  assert.equal(ev('1 + 2 * 3'), 7);
  assert.equal(ev('(1 + 2) * 3'), 9);
  assert.equal(ev('2 ** 3 ** 2'), 512, 'power is right-associative');
  assert.equal(ev('2 ^ 3'), 8);
  assert.equal(ev('-2 ** 2'), -4);
  assert.equal(ev('10 - 4 - 3'), 3, 'minus is left-associative');
  assert.equal(ev('7 % 3'), 1);
  assert.equal(ev('7 / 2'), 3.5);
  assert.equal(ev('+5'), 5);
  assert.equal(ev('1 < 2 == true'), true);
  assert.equal(ev('true || false && false'), true, '&& binds tighter than ||');
  assert.equal(ev('false and true or true'), true);
  assert.equal(ev("'a' + 'b'"), 'ab');
  assert.equal(ev("'abc' < 'abd'"), true);
  assert.equal(ev('x ?? 5', { x: null }), 5);
  assert.equal(ev('x ?? 5', { x: 0 }), 0);
  assert.equal(ev('x > 1 ? "big" : "small"', { x: 3 }), 'big');
  assert.equal(ev('x > 1 ? "big" : "small"', { x: 0 }), 'small');
  assert.equal(ev('2 in [1, 2, 3]'), true);
  assert.equal(ev('4 not in [1, 2, 3]'), true);
  assert.equal(ev("'k' in m", { m: { k: 1 } }), true);
  assert.equal(ev("'hello' contains 'ell'"), true);
  assert.equal(ev("'hello' startsWith 'he' && 'hello' endsWith 'lo'"), true);
  assert.equal(ev("'v1.2.3' matches '^v[0-9]+'"), true);
  assert.equal(ev('[1, 2] == [1, 2]'), true);
  assert.equal(ev('nil == nil'), true);
  assert.equal(ev('m.missing == nil', { m: {} }), true);
  assert.equal(ev('m?.a', { m: null }), null);
  assert.equal(ev('1_000 + .5 + 1e2'), 1100.5);
  assert.equal(ev('"esc\\"aped\\n"'), 'esc"aped\n');
  assert.equal(ev("'it\\'s'"), "it's");
  assert.equal(ev('`raw\\n`'), 'raw\\n');
  assert.equal(ev("len('héllo')"), 5);
  assert.equal(ev('len(m)', { m: { a: 1, b: 2 } }), 2);
  assert.equal(ev("'abc'[1]"), 'b');
  assert.equal(ev('abs(-3)'), 3);
});

test('collection functions with predicates', () => {
  const env = { result: [1, 5, 10] };
  assert.equal(ev('none(result, # > 10)', env), true);
  assert.equal(ev('one(result, # == 5)', env), true);
  assert.deepEqual(ev('filter(result, # >= 5)', env), [5, 10]);
  assert.deepEqual(ev('map(result, # * 2)', env), [2, 10, 20]);
  assert.equal(ev('count(result, {# > 1})', env), 2);
  assert.equal(ev('all(result, {# > 0}) && len(filter(result, # > 4)) == 2', env), true);
});

test('conversions', () => {
  assert.equal(ev("asInt('42')"), 42);
  assert.equal(ev('asInt(7)'), 7);
  assert.equal(ev("asFloat('1.5e2')"), 150);
  assert.equal(ev('asFloat(2)'), 2);
  assert.ok(Number.isNaN(ev("asFloat('NaN')")));
  assert.equal(ev("asFloat('+Inf')"), Infinity);
  assert.equal(ev("asFloat('-inf')"), -Infinity);
  for (const bad of ["asInt('4.5')", "asInt('x')", "asInt('')", 'asInt(nil)', "asFloat('abc')", "asFloat('')", 'asFloat(true)']) {
    assert.throws(() => ev(bad), ExprError, bad);
  }
});

test('errors say what and where', () => {
  const throwsWith = (src: string, pattern: RegExp, env: Record<string, unknown> = {}) =>
    assert.throws(() => compileExpression(src).evaluate(env), (e: Error) => e instanceof ExprError && pattern.test(e.message), src);
  throwsWith('result[0] >= ', /unexpected end of expression at column 14/, { result: [1] });
  throwsWith('result[0] >= 0.9 )', /unexpected "\)" at column 18/);
  throwsWith('result @ 1', /unexpected character "@" at column 8/);
  throwsWith("'open", /unterminated string at column 1/);
  throwsWith('', /empty expression/);
  throwsWith('(1 + 2', /expected "\)" but found the end of the expression/);
  throwsWith('a.', /expected a field name after "."/);
  throwsWith('reslt > 1', /unknown name "reslt" \(known: result\)/, { result: 1 });
  throwsWith('result[3]', /index 3 out of range \(length 1\)/, { result: [1] });
  throwsWith('result[0.5]', /must be an integer/, { result: [1] });
  throwsWith('result[0]', /cannot read 0 of nil/, { result: null });
  throwsWith('result.x', /cannot index a number/, { result: 1 });
  throwsWith("result > 'a'", /compares two numbers or two strings/, { result: 1 });
  throwsWith("'a' - 1", /expected a number, got string/);
  throwsWith('1 && true', /needs bools, got number/);
  throwsWith('true && 1', /needs bools, got number/);
  throwsWith('!1', /needs a bool/);
  throwsWith('-true', /expected a number/);
  throwsWith('1 ? 2 : 3', /must be a bool/);
  throwsWith('1 in 2', /needs an array or a map/);
  throwsWith("1 contains 'a'", /needs strings/);
  throwsWith("'a' matches '('", /invalid regular expression/);
  throwsWith('5 % 0', /modulo by zero/);
  throwsWith('len(1)', /len\(\) needs a string, array or map/);
  throwsWith('len(1, 2)', /len\(\) takes 1 argument, got 2/);
  throwsWith('default(1)', /default\(\) takes 2 arguments/);
  throwsWith('all(1, # > 1)', /needs an array first/);
  throwsWith('all([1], # + 1)', /predicate of all\(\) must give a bool/);
  throwsWith('# > 1', /only meaningful inside a predicate/);
  throwsWith('nosuch(1)', /unknown function nosuch\(\)/);
  throwsWith('isNaN("x")', /expected a number/);
  assert.throws(() => compileExpression('1 + 1').test({}), /gave number 2, expected a bool/);
  assert.equal(compileExpression('1 < 2').test({}), true);
  assert.throws(() => parseExpression('[1, 2'), /expected ","/);
});

test('arithmetic agrees with JavaScript on random integer expressions', () => {
  const leaf = fc.integer({ min: -20, max: 20 }).map((n) => (n < 0 ? `(${n})` : String(n)));
  const expr: fc.Arbitrary<string> = fc.letrec((tie) => ({
    e: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.tuple(tie('e'), fc.constantFrom('+', '-', '*'), tie('e')).map(([a, op, b]) => `(${a} ${op} ${b})`)),
  })).e as fc.Arbitrary<string>;
  fc.assert(
    fc.property(expr, (src) => {
      assert.equal(ev(src), Function(`return ${src}`)());
    }),
  );
});

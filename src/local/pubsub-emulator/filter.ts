import { emulatorError, GrpcCode } from './errors.ts';

/** A compiled subscription filter: true when a message with these attributes is delivered. */
export type MessageFilter = (attributes: Readonly<Record<string, string>>) => boolean;

const MAX_FILTER_BYTES = 256;

// Pub/Sub's filter language over attributes:
//   expr    := term (('AND' term)* | ('OR' term)*)   (AND and OR do not mix without parentheses)
//   term    := ('NOT' | '-') term | '(' expr ')' | atom
//   atom    := 'attributes:' key
//            | 'attributes.' key ('=' | '!=') string
//            | 'hasPrefix(' 'attributes.' key ',' string ')'
// Keys are bare words or backquoted; strings are double-quoted with \-escapes.
type Token = { kind: 'word' | 'string' | 'key' | 'op'; text: string };

const TOKEN = /\s*(?:(`(?:[^`\\]|\\.)*`)|("(?:[^"\\]|\\.)*")|(!=|[=:(),.-])|([A-Za-z0-9_\-+~%]+))/y;

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < source.length) {
    if (/^\s*$/.test(source.slice(TOKEN.lastIndex))) break;
    const start = TOKEN.lastIndex;
    const match = TOKEN.exec(source);
    if (match === null || TOKEN.lastIndex === start) throw bad(source);
    if (match[1] !== undefined) tokens.push({ kind: 'key', text: unquote(match[1]) });
    else if (match[2] !== undefined) tokens.push({ kind: 'string', text: unquote(match[2]) });
    else if (match[3] !== undefined) tokens.push({ kind: 'op', text: match[3] });
    else tokens.push({ kind: 'word', text: match[4]! });
  }
  return tokens;
}

function unquote(quoted: string): string {
  return quoted.slice(1, -1).replace(/\\(.)/g, '$1');
}

function bad(source: string): Error {
  return emulatorError(GrpcCode.INVALID_ARGUMENT, `Invalid filter expression: ${source}`);
}

/**
 * Compiles a subscription filter, or throws INVALID_ARGUMENT like the real
 * service for syntax it does not accept.
 *
 * @example
 * compileFilter('attributes.kind = "order" AND NOT attributes:test')({ kind: 'order' }); // true
 */
export function compileFilter(source: string): MessageFilter {
  if (Buffer.byteLength(source) > MAX_FILTER_BYTES) {
    throw emulatorError(GrpcCode.INVALID_ARGUMENT, 'The filter is longer than 256 bytes.');
  }
  const tokens = tokenize(source);
  let at = 0;
  const peek = (): Token | undefined => tokens[at];
  const next = (): Token => {
    const token = tokens[at++];
    if (token === undefined) throw bad(source);
    return token;
  };
  const expect = (text: string): void => {
    if (next().text !== text) throw bad(source);
  };
  const key = (): string => {
    const token = next();
    if (token.kind !== 'word' && token.kind !== 'key') throw bad(source);
    return token.text;
  };
  const string = (): string => {
    const token = next();
    if (token.kind !== 'string') throw bad(source);
    return token.text;
  };

  const atom = (): MessageFilter => {
    const head = next();
    if (head.kind === 'word' && head.text === 'hasPrefix') {
      expect('(');
      if (next().text !== 'attributes') throw bad(source);
      expect('.');
      const name = key();
      expect(',');
      const prefix = string();
      expect(')');
      return (a) => a[name]?.startsWith(prefix) === true;
    }
    if (head.kind !== 'word' || head.text !== 'attributes') throw bad(source);
    const separator = next().text;
    const name = key();
    if (separator === ':') return (a) => Object.hasOwn(a, name);
    if (separator !== '.') throw bad(source);
    const op = next().text;
    const value = string();
    if (op === '=') return (a) => a[name] === value;
    if (op === '!=') return (a) => a[name] !== value;
    throw bad(source);
  };
  const term = (): MessageFilter => {
    const token = peek();
    if (token?.text === 'NOT' || token?.text === '-') {
      at++;
      const inner = term();
      return (a) => !inner(a);
    }
    if (token?.text === '(') {
      at++;
      const inner = expr();
      expect(')');
      return inner;
    }
    return atom();
  };
  const expr = (): MessageFilter => {
    const terms = [term()];
    let joiner: string | undefined;
    while (peek()?.text === 'AND' || peek()?.text === 'OR') {
      const op = next().text;
      if (joiner !== undefined && joiner !== op) throw bad(source);
      joiner = op;
      terms.push(term());
    }
    if (terms.length === 1) return terms[0]!;
    return joiner === 'AND' ? (a) => terms.every((t) => t(a)) : (a) => terms.some((t) => t(a));
  };

  const filter = expr();
  if (at !== tokens.length) throw bad(source);
  return filter;
}

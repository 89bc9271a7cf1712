/**
 * The one rule for text that people type and approvers read. Two kinds:
 *
 * - **Identifiers** (action, resourceType, resourceId, payload keys, group ids) name things and
 *   take entity locks, so every character must be visible and mean itself: C0 and C1 controls,
 *   format characters (Unicode category Cf: bidi controls, zero-width characters, the byte order
 *   mark, soft hyphen, tags), other default-ignorable code points (variation selectors, Hangul
 *   fillers...), line and paragraph separators, spaces other than U+0020, lone surrogates and
 *   noncharacters are refused. An accepted identifier is normalised: surrounding spaces removed,
 *   NFC, and lower case when it is a GUID (GUIDs compare case-insensitively).
 * - **Free text** (justification, notes, names, descriptions, payload strings) may hold any
 *   script, emoji and line breaks, but not what can reorder or hide what a reader sees: C0
 *   controls other than tab, line feed and carriage return, DEL and C1 controls, bidi controls,
 *   line and paragraph separators, tags, lone surrogates and noncharacters are refused. Other
 *   invisible characters are stored, and {@link visibleText} shows them escaped.
 *
 * A text that is empty once whitespace and invisible characters are removed is blank
 * ({@link isBlankText}): it is not a justification, not notes, not a name.
 */

/** Bidirectional formatting characters: embeddings, overrides, isolates and marks. */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Controls, format characters, default-ignorables, separators other than U+0020, surrogates, noncharacters.
const NOT_IN_IDENTIFIER =
  /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\p{Zl}\p{Zp}\p{Cs}\p{Noncharacter_Code_Point}]|(?! )\p{Zs}/u;
const NOT_IN_FREE_TEXT =
  /(?![\t\n\r])\p{Cc}|[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\p{Zl}\p{Zp}\p{Cs}\p{Noncharacter_Code_Point}\u{e0000}-\u{e007f}]/u;
// What a reader cannot see, for isBlankText.
const INVISIBLE = /[\p{White_Space}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\p{Zs}\p{Zl}\p{Zp}]/gu;
// What visibleText escapes in free text: as in identifiers, except what KEPT_IN_TEXT keeps.
const HIDDEN_IN_TEXT = /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\p{Zl}\p{Zp}\p{Cs}\p{Noncharacter_Code_Point}]/gu;
// Tab and line feed, the joiners scripts and emoji need, and emoji variation selectors (U+FE00-FE0F).
const KEPT_IN_TEXT = new Set([
  '\t',
  '\n',
  '\u200c',
  '\u200d',
  ...Array.from({ length: 16 }, (_, index) => String.fromCodePoint(0xfe00 + index)),
]);
const HIDDEN_IN_IDENTIFIER = new RegExp(NOT_IN_IDENTIFIER.source, 'gu');

/** True when `text` is a GUID (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, either case, no braces). */
export function isGuid(text: string): boolean {
  return GUID.test(text);
}

/** `U+202E` for the character `\u202e`. */
export function codePointName(character: string): string {
  return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Why `text` cannot be an identifier (naming the first offending character and its position), or `undefined` when it can. */
export function identifierProblem(text: string): string | undefined {
  return problem(text, NOT_IN_IDENTIFIER, 'an identifier');
}

/** Why `text` cannot be free text (naming the first offending character and its position), or `undefined` when it can. */
export function freeTextProblem(text: string): string | undefined {
  return problem(text, NOT_IN_FREE_TEXT, 'text');
}

/**
 * The one spelling of an identifier that passed {@link identifierProblem}: without surrounding
 * spaces, in NFC, lower-cased when it is a GUID. Two spellings of one identifier normalise alike,
 * so they take the same entity lock.
 */
export function normalizeIdentifier(text: string): string {
  const normal = text.trim().normalize('NFC');
  return isGuid(normal) ? normal.toLowerCase() : normal;
}

/** True when nothing is left of `text` once whitespace, controls and other invisible characters are removed. */
export function isBlankText(text: string): boolean {
  return text.replace(INVISIBLE, '') === '';
}

/** True when `text` holds a bidirectional formatting character. */
export function hasBidiControl(text: string): boolean {
  return BIDI.test(text);
}

/**
 * `text` for display with every character a reader could not see, or that could reorder or hide
 * what follows, written as `<U+XXXX>`: for `identifier`, every character {@link identifierProblem}
 * refuses; for `text`, controls (except tab and line feed), format and default-ignorable
 * characters (except the zero-width joiner and non-joiner and emoji variation selectors),
 * separators, lone surrogates and noncharacters. Stored text predating the rule, or from a
 * store edited by hand, so shows what it really holds.
 */
export function visibleText(text: string, kind: 'identifier' | 'text' = 'text'): string {
  const hidden = kind === 'identifier' ? HIDDEN_IN_IDENTIFIER : HIDDEN_IN_TEXT;
  return text.replace(hidden, (character) =>
    kind === 'text' && KEPT_IN_TEXT.has(character) ? character : `<${codePointName(character)}>`,
  );
}

function problem(text: string, refused: RegExp, what: string): string | undefined {
  const match = refused.exec(text);
  if (match === null) return undefined;
  const character = match[0];
  return `must not contain ${codePointName(character)} (${describe(character)}) in ${what} (at position ${[...text.slice(0, match.index)].length})`;
}

function describe(character: string): string {
  if (BIDI.test(character)) return 'a bidirectional control';
  if (/\p{Cc}/u.test(character)) return 'a control character';
  if (/\p{Zl}|\p{Zp}/u.test(character)) return 'a line or paragraph separator';
  if (/\p{Zs}/u.test(character)) return 'a space other than U+0020';
  if (/\p{Cs}/u.test(character)) return 'a lone surrogate';
  if (/\p{Noncharacter_Code_Point}/u.test(character)) return 'a noncharacter';
  return 'an invisible or format character';
}

/** One refused text inside a JSON value: where (keys and indexes from the value's root) and why. */
export interface TextProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Every refused text in a JSON value such as an operation's payload: object keys are identifiers,
 * string values free text (see {@link identifierProblem}, {@link freeTextProblem}). A refused key
 * is reported at its object's path. Walks without recursion, so depth alone cannot overflow it.
 */
export function jsonTextProblems(value: unknown): TextProblem[] {
  const problems: TextProblem[] = [];
  const pending: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { value: current, path } = item;
    if (typeof current === 'string') {
      const message = freeTextProblem(current);
      if (message !== undefined) problems.push({ path, message });
    } else if (Array.isArray(current)) {
      current.forEach((element, index) => pending.push({ value: element, path: [...path, index] }));
    } else if (typeof current === 'object' && current !== null) {
      for (const [key, element] of Object.entries(current)) {
        const message = identifierProblem(key);
        if (message !== undefined)
          problems.push({ path, message: `key ${JSON.stringify(visibleText(key, 'identifier'))} ${message}` });
        pending.push({ value: element, path: [...path, key] });
      }
    }
  }
  return problems;
}

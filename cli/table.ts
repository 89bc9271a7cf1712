import { visibleText } from '../shared/domain/text';

/** A column of {@link renderTable}: its heading and, optionally, the widest a cell may be. */
export interface Column {
  header: string;
  /** Longer cells are cut to this many characters, the last one `…`. */
  maxWidth?: number;
}

/**
 * Rows as aligned text columns: a header line, then one line per row, columns two spaces apart,
 * every line ending without trailing spaces. Control characters in cells (newlines, escape
 * sequences from user-supplied text such as a justification) become `?`, and invisible or bidi
 * characters `<U+XXXX>`, so a value can neither break the layout, reorder it, nor drive the terminal.
 */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  return align([
    columns.map((column) => column.header),
    ...rows.map((row) => columns.map((column, index) => fit(row[index] ?? '', column.maxWidth))),
  ]);
}

/** Rows aligned like {@link renderTable}'s, without a header. */
export function renderColumns(rows: readonly (readonly string[])[]): string {
  return align(rows.map((row) => row.map(printable)));
}

/** `key: value` lines with the values aligned, for one item; fields without a value are left out. */
export function renderFields(fields: readonly (readonly [string, string | undefined])[]): string {
  const present = fields.filter((field): field is readonly [string, string] => field[1] !== undefined);
  const width = Math.max(...present.map(([key]) => key.length + 1));
  return present.map(([key, value]) => `${`${key}:`.padEnd(width)}  ${printable(value)}`.trimEnd()).join('\n') + '\n';
}

/**
 * `text` with C0 and C1 control characters replaced by `?`, and every other character a reader
 * could not see, or that could reorder the line (bidi controls, zero-width and format
 * characters), written as `<U+XXXX>` (see `visibleText`).
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return visibleText(text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?'), 'identifier');
}

function align(lines: readonly (readonly string[])[]): string {
  const widths = lines[0]?.map((_, index) => Math.max(...lines.map((line) => line[index]?.length ?? 0))) ?? [];
  return (
    lines
      .map((line) =>
        line
          .map((cell, index) => cell.padEnd(widths[index] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

function fit(text: string, maxWidth: number | undefined): string {
  const clean = printable(text);
  return maxWidth !== undefined && clean.length > maxWidth ? `${clean.slice(0, maxWidth - 1)}…` : clean;
}

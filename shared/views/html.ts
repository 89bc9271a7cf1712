import { createHash } from 'node:crypto';

// Server-rendered HTML pages: escaping, and one shared layout with its inline style sheet and the
// Content-Security-Policy that goes with it (the HTTP layer sends it, see `shared/http/html.ts`).
// Pages load nothing, run no script and cannot be framed; the only inline style is the one below,
// allowed by its hash in the Content-Security-Policy.

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** A fragment of HTML that is already safe to embed (built with {@link html} or escaped). */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Interpolated = string | number | SafeHtml | readonly SafeHtml[] | undefined | null | false;

/** A tagged template that escapes every interpolated string; arrays of fragments are joined. */
export function html(strings: TemplateStringsArray, ...values: Interpolated[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    if (value instanceof SafeHtml) out += value.text;
    else if (Array.isArray(value)) out += value.map((part) => part.text).join('');
    else if (value !== undefined && value !== null && value !== false) out += escapeHtml(String(value));
    out += strings[index + 1] ?? '';
  });
  return new SafeHtml(out);
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1b1f;--bg:#fff;--muted:#5c5c66;--line:#d6d6de;--ok:#0b6b2f;--bad:#a4161a;--accent:#0f4c9c}
@media (prefers-color-scheme:dark){:root{--fg:#ececf1;--bg:#17171b;--muted:#a2a2ad;--line:#3a3a44;--ok:#5bd08a;--bad:#ff7b7f;--accent:#8ab4ff}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:56rem;margin:0 auto;padding:1rem}
h1{font-size:1.4rem;line-height:1.25;margin:.5rem 0 1rem}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
h3{font-size:1rem;margin:1rem 0 .4rem}
dl{display:grid;grid-template-columns:minmax(8rem,max-content) 1fr;gap:.35rem 1rem;margin:0}
dt{color:var(--muted)}
dd{margin:0;overflow-wrap:anywhere}
@media (max-width:30rem){dl{grid-template-columns:1fr}dd{margin-bottom:.5rem}}
pre{margin:0;padding:.75rem;border:1px solid var(--line);border-radius:.4rem;overflow:auto;font-size:.875rem;white-space:pre-wrap;overflow-wrap:anywhere}
code{font-size:.875rem;overflow-wrap:anywhere}
ul{padding-left:1.25rem}
.note{color:var(--muted)}
.notice{padding:.75rem 1rem;border-left:.3rem solid var(--accent);background:color-mix(in srgb,var(--accent) 8%,transparent);margin:1rem 0}
.notice.bad{border-color:var(--bad)}
.notice.ok{border-color:var(--ok)}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
textarea{width:100%;min-height:6rem;font:inherit;padding:.5rem;border:1px solid var(--line);border-radius:.4rem;background:var(--bg);color:var(--fg)}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1rem}
button,.button{flex:1 1 10rem;font:inherit;font-weight:600;padding:.75rem 1rem;border-radius:.4rem;border:0;cursor:pointer;color:#fff;text-align:center;text-decoration:none}
.approve{background:var(--ok)}
.reject{background:var(--bad)}
.button{background:var(--accent);display:inline-block}
.lead{font-size:1.05rem;margin:.25rem 0}
.facts{margin:.25rem 0 0}
table{width:100%;border-collapse:collapse;font-size:.95rem}
th,td{text-align:left;vertical-align:top;padding:.4rem .5rem;border-bottom:1px solid var(--line);overflow-wrap:break-word}
summary{cursor:pointer;color:var(--accent);margin:.5rem 0}
th{color:var(--muted);font-weight:600}
.tag{display:inline-block;padding:0 .4rem;border:1px solid currentColor;border-radius:.3rem;font-size:.8rem;font-weight:600;line-height:1.4}
.tag.added{color:var(--ok)}
.tag.removed{color:var(--bad)}
.tag.changed{color:var(--accent)}
.tag.kept,.tag.unchanged{color:var(--muted)}
tr.changed td,tr.added td,tr.removed td{background:color-mix(in srgb,var(--accent) 5%,transparent)}
.assignments{list-style:none;padding:0}
.assignments li{padding:.25rem 0}
pre.call{margin:.5rem 0}
@media (max-width:40rem){.stack,.stack thead,.stack tbody,.stack tr,.stack th,.stack td{display:block}.stack thead tr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}.stack tr{border-bottom:1px solid var(--line);padding:.4rem 0}.stack td{border:0;padding:.1rem 0}.stack td[data-label]::before{content:attr(data-label) ": ";color:var(--muted);font-weight:600}}
`.trim();

/** `sha256-<base64>` of the inline style sheet, for the CSP. */
const STYLE_HASH = `sha256-${createHash('sha256').update(STYLE).digest('base64')}`;

/** Nothing may load, run, frame the page or be posted anywhere but here. */
export const PAGE_CSP = [
  "default-src 'none'",
  `style-src '${STYLE_HASH}'`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** A complete page in the shared layout. */
export function page(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${title}</title>
<style>${new SafeHtml(STYLE)}</style>
</head>
<body><main>
${body}
</main></body>
</html>
`.text;
}

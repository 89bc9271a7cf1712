import { createHash } from 'node:crypto';
import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import type { HostResponse } from './host/httpHost';

/** Where the mailbox is served. */
export const LOCAL_MAILBOX_PATH = '/_local/mailbox';

/** One mail as `GET /_local/mailbox` answers it in JSON (a public local contract: keep the shape). */
export interface MailboxItem {
  /** The recipients' addresses, comma-separated. */
  to: string;
  subject: string;
  /** The body as plain text (an HTML body is converted). */
  text: string;
  /** Every http(s) URL in the body, in order, each once. */
  links: string[];
  /** RFC 3339, on the runtime clock. */
  sentAt: string;
}

/** A mail handed to the mailbox by the local Graph's `sendMail`. */
export interface OutgoingMail {
  to: readonly string[];
  subject: string;
  contentType: 'text' | 'html';
  content: string;
}

const STYLE = [
  'body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1b1b1b}',
  'article{border:1px solid #ccc;border-radius:6px;padding:0 1rem 1rem;margin:1rem 0}',
  'dl{display:grid;grid-template-columns:max-content 1fr;gap:0 1rem;color:#555}dd{margin:0}',
  'pre{white-space:pre-wrap;word-break:break-all;font:inherit}',
].join('');
// Strict CSP: nothing loads, no script runs, and only this exact style block applies.
const CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

/**
 * The local runtime's mailbox: every mail the app sends through the local Graph's `sendMail` lands
 * here instead of going out. Messages are kept as JSON lines in `<dataDir>/local-mail/mailbox.jsonl`,
 * so they survive restarts; the newest {@link MAILBOX_LISTED} are also kept in memory and listed
 * (a long run mails hundreds of thousands: holding them all would only burden the runtime's heap).
 * Served at {@link LOCAL_MAILBOX_PATH}, without authentication like every
 * `/_local/` route:
 *
 * - `GET` with `Accept: application/json`: `{ items: [{ to, subject, text, links, sentAt }] }`, newest
 *   first (the newest {@link MAILBOX_LISTED}; the file holds them all);
 * - `GET` otherwise: the same as an HTML page (no external assets, no script, strict CSP, links clickable);
 * - `DELETE`: empties the mailbox (`204`).
 */
const TAIL_CHUNK_BYTES = 256 * 1024;

/**
 * The last `count` lines of `file` (at least; fewer if it has fewer), read backwards in chunks so a
 * mailbox of hundreds of megabytes costs start-up only its tail. A newline byte never occurs inside
 * a multi-byte UTF-8 sequence, so cutting at one is safe.
 */
function readLastLines(file: string, count: number): string[] {
  const fd = openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let position = fstatSync(fd).size;
    let newlines = 0;
    while (position > 0 && newlines <= count) {
      const length = Math.min(TAIL_CHUNK_BYTES, position);
      position -= length;
      const chunk = Buffer.alloc(length);
      readSync(fd, chunk, 0, length, position);
      for (const byte of chunk) if (byte === 0x0a) newlines++;
      chunks.unshift(chunk);
    }
    let tail = Buffer.concat(chunks);
    // Unless the file was read from its start, the first line may be cut: drop it.
    if (position > 0) tail = tail.subarray(tail.indexOf(0x0a) + 1);
    return tail.toString('utf8').split('\n');
  } finally {
    closeSync(fd);
  }
}

/** How many of the newest mails are listed (and held in memory). */
export const MAILBOX_LISTED = 1000;

export class LocalMailbox {
  private readonly file: string;
  /** The newest {@link MAILBOX_LISTED}, oldest first, as in the file. */
  private items: MailboxItem[] = [];

  constructor(
    dataDir: string,
    private readonly now: () => number,
  ) {
    this.file = path.join(dataDir, 'local-mail', 'mailbox.jsonl');
    mkdirSync(path.dirname(this.file), { recursive: true });
    let lines: string[] = [];
    try {
      lines = readLastLines(this.file, MAILBOX_LISTED);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (let index = lines.length - 1; index >= 0 && this.items.length < MAILBOX_LISTED; index--) {
      try {
        if (lines[index]!.trim() !== '') this.items.push(JSON.parse(lines[index]!) as MailboxItem);
      } catch {
        // A line torn by a crash mid-write: the rest of the mailbox is still good.
      }
    }
    this.items.reverse();
  }

  /** Stores `mail` and returns it as listed. */
  deliver(mail: OutgoingMail): MailboxItem {
    const text = mail.contentType === 'html' ? htmlToText(mail.content) : mail.content;
    const hrefs =
      mail.contentType === 'html'
        ? [...mail.content.matchAll(/href\s*=\s*"([^"]*)"/gi)].map((match) => decodeEntities(match[1]!))
        : [];
    const links = [
      ...new Set([...hrefs, ...(text.match(URL_PATTERN) ?? [])].filter((link) => /^https?:\/\//i.test(link))),
    ];
    const item: MailboxItem = {
      to: mail.to.join(', '),
      subject: mail.subject,
      text,
      links,
      sentAt: new Date(this.now()).toISOString(),
    };
    this.items.push(item);
    if (this.items.length > MAILBOX_LISTED * 2) this.items = this.items.slice(-MAILBOX_LISTED);
    appendFileSync(this.file, `${JSON.stringify(item)}\n`);
    return item;
  }

  /** The newest {@link MAILBOX_LISTED} mails, newest first. */
  list(): MailboxItem[] {
    return this.items.slice(-MAILBOX_LISTED).reverse();
  }

  /** Forgets every mail. */
  clear(): void {
    this.items = [];
    writeFileSync(this.file, '');
  }

  /** The handler of {@link LOCAL_MAILBOX_PATH} (see the class comment). */
  route(): (request: IncomingMessage, url: URL, body: Buffer) => HostResponse {
    return (request) => {
      const method = (request.method ?? 'GET').toUpperCase();
      if (method === 'DELETE') {
        this.clear();
        return { status: 204, headers: [], body: Buffer.alloc(0) };
      }
      if (method !== 'GET')
        return {
          status: 405,
          headers: [
            ['allow', 'GET, DELETE'],
            ['content-type', 'text/plain; charset=utf-8'],
          ],
          body: Buffer.from('Method Not Allowed'),
        };
      const noStore: [string, string][] = [
        ['cache-control', 'no-store'],
        ['vary', 'accept'],
      ];
      if ((request.headers.accept ?? '').includes('application/json')) {
        return {
          status: 200,
          headers: [['content-type', 'application/json; charset=utf-8'], ...noStore],
          body: Buffer.from(JSON.stringify({ items: this.list() })),
        };
      }
      return {
        status: 200,
        headers: [
          ['content-type', 'text/html; charset=utf-8'],
          ['content-security-policy', CSP],
          ['x-content-type-options', 'nosniff'],
          // Approval links carry tokens: following one must not hand this page's URL to anyone, nor the link to a referrer.
          ['referrer-policy', 'no-referrer'],
          ...noStore,
        ],
        body: Buffer.from(this.page()),
      };
    };
  }

  private page(): string {
    const items = this.list();
    const articles = items.map(
      (item) =>
        `<article><h2>${escapeHtml(item.subject)}</h2><dl><dt>To</dt><dd>${escapeHtml(item.to)}</dd><dt>Sent</dt><dd>${escapeHtml(item.sentAt)}</dd></dl><pre>${linkify(item.text)}</pre></article>`,
    );
    const summary =
      items.length === 0
        ? 'No mail yet.'
        : items.length === MAILBOX_LISTED
          ? `The newest ${MAILBOX_LISTED} mails, newest first.`
          : `${items.length} mail${items.length === 1 ? '' : 's'}, newest first.`;
    return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>Local mailbox</title><style>${STYLE}</style></head><body><h1>Local mailbox</h1><p>${summary} Mail the app sends through the local Graph lands here; <code>DELETE ${LOCAL_MAILBOX_PATH}</code> empties it.</p>${articles.join('')}</body></html>`;
  }
}

const URL_PATTERN = /https?:\/\/[^\s<>"']+/g;

/** Text of a simple HTML body: paragraphs and line breaks kept, tags dropped, entities decoded. */
export function htmlToText(html: string): string {
  const text = html
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|h[1-6]|li|tr|table|ul|ol)>/gi, '\n\n')
    .replace(/<[^>]*>/g, '');
  return decodeEntities(text)
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function decodeEntities(text: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    }
    return named[name.toLowerCase()] ?? entity;
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Escaped text whose http(s) URLs are links. */
function linkify(text: string): string {
  let html = '';
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    html += `${escapeHtml(text.slice(last, match.index))}<a href="${escapeHtml(match[0])}" rel="noreferrer noopener">${escapeHtml(match[0])}</a>`;
    last = match.index + match[0].length;
  }
  return html + escapeHtml(text.slice(last));
}

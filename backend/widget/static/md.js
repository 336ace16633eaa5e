// Safe markdown for chat bubbles: DOM nodes built with createElement/textContent only, never innerHTML,
// so no text from anyone (twin, creator, member, a stored message) can inject markup or script.
// Blocks: paragraphs, line breaks, bullet and numbered lists, quotes, fenced code; headings become bold lines.
// Inline: backslash escapes, **strong**, *em*, `code`, [links](https://...), bare https:// links, and citation markers [n].

const SAFE_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);
const MAX_DEPTH = 4;
const INLINE = new RegExp(
  [
    // a backslash-escaped mark is that character as text (replies escape the marks in quoted sentences)
    "\\\\(?<escaped>[\\\\`*_\\[\\]{}()#+\\-.!>~|])",
    "(?<code>`+)(?<codeText>[^`]|[^`][\\s\\S]*?[^`])\\k<code>(?!`)",
    "\\[(?<linkText>[^\\[\\]\\n]{1,300})\\]\\((?<href>[^\\s()<>]{1,2000})\\)",
    "\\[(?<cite>\\d{1,2})\\]",
    "(?<url>\\bhttps?:\\/\\/[^\\s<>()\"']*[^\\s<>()\"'.,;:!?])",
    "\\*\\*(?<strong>\\S(?:[\\s\\S]*?\\S)?)\\*\\*",
    "(?<![\\w_])__(?<strong2>\\S(?:[\\s\\S]*?\\S)?)__(?![\\w_])",
    "\\*(?<em>[^\\s*](?:[^*]*?[^\\s*])?)\\*",
    "(?<![\\w_])_(?<em2>[^\\s_](?:[^_]*?[^\\s_])?)_(?![\\w_])",
  ].join("|"),
  "u",
);

/** An http(s)/mailto URL as a string, or null for anything else (javascript:, data:, relative junk). */
export function safeUrl(raw) {
  try {
    const url = new URL(raw);
    return SAFE_PROTOCOLS.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

function link(href, text) {
  const a = document.createElement("a");
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener noreferrer nofollow ugc";
  a.textContent = text;
  return a;
}

/** Inline markdown of one block of text into `parent`. `opts.cite(n)` makes the node for a [n] marker. */
export function renderInline(text, parent, opts = {}, depth = 0) {
  let rest = text;
  while (rest) {
    const m = depth < MAX_DEPTH ? INLINE.exec(rest) : null;
    if (!m) {
      appendText(parent, rest);
      return parent;
    }
    if (m.index > 0) appendText(parent, rest.slice(0, m.index));
    const g = m.groups;
    if (g.escaped !== undefined) {
      appendText(parent, g.escaped);
    } else if (g.code !== undefined) {
      const code = document.createElement("code");
      code.textContent = g.codeText;
      parent.append(code);
    } else if (g.linkText !== undefined) {
      const href = safeUrl(g.href);
      if (href) parent.append(link(href, g.linkText));
      else appendText(parent, m[0]);
    } else if (g.cite !== undefined) {
      parent.append(opts.cite ? opts.cite(Number(g.cite)) : m[0]);
    } else if (g.url !== undefined) {
      const href = safeUrl(g.url);
      parent.append(href ? link(href, g.url) : g.url);
    } else {
      const strong = g.strong ?? g.strong2;
      const el = document.createElement(strong !== undefined ? "strong" : "em");
      renderInline(strong ?? g.em ?? g.em2, el, opts, depth + 1);
      parent.append(el);
    }
    rest = rest.slice(m.index + m[0].length);
  }
  return parent;
}

function appendText(parent, text) {
  // Single newlines inside a paragraph are line breaks.
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (i > 0) parent.append(document.createElement("br"));
    if (line) parent.append(document.createTextNode(line));
  });
}

const BULLET = /^\s{0,3}[-*+•]\s+(.*)$/;
const NUMBERED = /^\s{0,3}(\d{1,3})[.)]\s+(.*)$/;
const QUOTE = /^\s{0,3}>\s?(.*)$/;
const HEADING = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/;
const FENCE = /^\s{0,3}```/;

/** Markdown text as a DocumentFragment of block elements. */
export function renderMarkdown(text, opts = {}, depth = 0) {
  const frag = document.createDocumentFragment();
  const lines = String(text ?? "").replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i += 1;
      continue;
    }
    if (FENCE.test(line)) {
      const body = [];
      i += 1;
      while (i < lines.length && !FENCE.test(lines[i])) body.push(lines[i++]);
      i += 1;
      const pre = document.createElement("pre");
      const code = document.createElement("code");
      code.textContent = body.join("\n");
      pre.append(code);
      frag.append(pre);
      continue;
    }
    if (QUOTE.test(line) && depth < MAX_DEPTH) {
      const body = [];
      while (i < lines.length && QUOTE.test(lines[i])) body.push(lines[i++].match(QUOTE)[1]);
      const quote = document.createElement("blockquote");
      quote.append(renderMarkdown(body.join("\n"), opts, depth + 1));
      frag.append(quote);
      continue;
    }
    const bullet = BULLET.test(line);
    if (bullet || NUMBERED.test(line)) {
      const re = bullet ? BULLET : NUMBERED;
      const list = document.createElement(bullet ? "ul" : "ol");
      const first = line.match(NUMBERED);
      if (!bullet && first[1] !== "1") list.start = Number(first[1]);
      while (i < lines.length && re.test(lines[i])) {
        const m = lines[i++].match(re);
        const item = document.createElement("li");
        renderInline(bullet ? m[1] : m[2], item, opts);
        // indented continuation lines belong to the item
        while (i < lines.length && /^\s{2,}\S/.test(lines[i]) && !re.test(lines[i])) {
          item.append(document.createElement("br"));
          renderInline(lines[i++].trim(), item, opts);
        }
        list.append(item);
      }
      frag.append(list);
      continue;
    }
    const heading = line.match(HEADING);
    if (heading) {
      const p = document.createElement("p");
      const strong = document.createElement("strong");
      renderInline(heading[1], strong, opts);
      p.append(strong);
      frag.append(p);
      i += 1;
      continue;
    }
    const para = [];
    while (
      i < lines.length &&
      lines[i].trim() &&
      !FENCE.test(lines[i]) &&
      !QUOTE.test(lines[i]) &&
      !BULLET.test(lines[i]) &&
      !NUMBERED.test(lines[i]) &&
      !HEADING.test(lines[i])
    ) {
      para.push(lines[i++]);
    }
    const p = document.createElement("p");
    renderInline(para.join("\n"), p, opts);
    frag.append(p);
  }
  return frag;
}

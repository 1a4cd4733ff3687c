// A tiny stand-in for Petrel's web stack, ONLY for developing the mailbox
// UI and a fast UI check without the C backend. It serves
// templates/mailbox.tpl with the {{…}} placeholders filled crudely, the
// static files, and docs/API.md's calls over ~300 in-memory messages.
// The real browser test (mailbox.test.mjs) runs against nginx + petrel +
// Dovecot instead.
//
//   node tests/e2e/fake_api.mjs [port]      (FAKE_DELAY=ms adds latency)
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const PORT = Number(process.argv[2] || process.env.PORT || 8099);
const DELAY = Number(process.env.FAKE_DELAY || 120);
const CSRF = 'fake-csrf-token';
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:";

const catalogs = {
  en: JSON.parse(fs.readFileSync(path.join(ROOT, 'i18n/en.json'), 'utf8')),
  ru: JSON.parse(fs.readFileSync(path.join(ROOT, 'i18n/ru.json'), 'utf8')),
};

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
    .replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// Crude ctemplate: drop the pragma, expand {{>HEAD}}, drop sections,
// substitute variables (HTML-escaped) from dict, then the catalog.
function render(file, dict, lang) {
  const cat = { ...catalogs.en, ...catalogs[lang] };
  let s = fs.readFileSync(path.join(ROOT, 'templates', file), 'utf8');
  s = s.replace(/^\{\{%AUTOESCAPE[^}]*\}\}\n?/, '');
  s = s.replace(/\{\{>HEAD\}\}/g, () => render('partials/head.tpl', dict, lang));
  s = s.replace(/\{\{#(\w+)\}\}[\s\S]*?\{\{\/\1\}\}/g, '');
  return s.replace(/\{\{(\w+)\}\}/g, (m, k) => esc(k in dict ? dict[k] : (cat[k] ?? '')));
}

// ---- data -------------------------------------------------------------------

let seed = 7;
function rnd() { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; }
function pick(a) { return a[Math.floor(rnd() * a.length)]; }

const PEOPLE = [
  ['Bob Jones', 'bob@example.test'], ['Carol Müller', 'carol@example.org'], ['Dmitri Ivanov', 'dmitri@example.ru'],
  ['Erin Tanaka', 'erin@example.net'], ['GitLab', 'noreply@gitlab.example.com'], ['Heidi García', 'heidi@example.org'],
  ['Ivan Petrov', 'ivan@example.ru'], ['Judy Novák', 'judy@example.cz'], ['', 'billing@cloud.example.com'],
  ['Mallory Rossi', 'mallory@example.it'], ['Olivia Chen', 'olivia@example.com'], ['Peggy Smith', 'peggy@example.test'],
  ['Trent Dubois', 'trent@example.fr'], ['Анна Смирнова', 'anna@example.ru'], ['Victor Lindqvist', 'victor@example.se'],
];
const SUBJECTS = [
  'Quarterly report draft', 'Lunch on Friday?', 'Build failures on CI', 'Contract renewal', 'Conference travel',
  'Security patch rollout', 'Design review: new mailbox screen', 'Your invoice for November', 'Hiring pipeline',
  'Weekly status', 'Disk usage alert on mx2', 'Re-org announcement', 'Отчёт за квартал', 'Photos from the trip',
  'Customer escalation 4590', 'Release 0.4 checklist', 'Welcome to the team!', 'Password expiry notice',
];
const WORDS = ('please find the latest numbers attached and let me know what you think before we send it to the ' +
  'board on monday we also need to decide about the venue the budget and who is going to present the roadmap ' +
  'I have pushed a fix for the flaky test thanks again for the quick review').split(' ');

function sentence(n) {
  const w = [];
  for (let i = 0; i < n; i++) w.push(pick(WORDS));
  const s = w.join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1) + '.';
}

const ME = { name: 'Alice Example', email: 'alice@example.test' };
const folders = [
  { path: 'INBOX', name: 'Inbox', special: 'inbox' },
  { path: 'Drafts', name: 'Drafts', special: 'drafts' },
  { path: 'Sent', name: 'Sent', special: 'sent' },
  { path: 'Junk', name: 'Junk', special: 'junk' },
  { path: 'Trash', name: 'Trash', special: 'trash' },
  { path: 'Archive', name: 'Archive', special: 'archive' },
  { path: 'Projects', name: 'Projects', special: null },
  { path: 'Projects/Petrel', name: 'Petrel', special: null },
  { path: 'Projects/Petrel/Design', name: 'Design', special: null },
  { path: 'Receipts', name: 'Receipts', special: null },
  { path: 'Входящие', name: 'Входящие', special: null },
  { path: 'Входящие/Счета', name: 'Счета', special: null },
];
const boxes = new Map(folders.map((f) => [f.path, []]));
let nextUid = 1000;
const now = Math.floor(Date.now() / 1000);

function makeMessage(box, i, t) {
  const [name, email] = pick(PEOPLE);
  const base = pick(SUBJECTS);
  const reply = rnd() < 0.3;
  const sent = box === 'Sent' || box === 'Drafts';
  return {
    uid: nextUid++,
    subject: (reply ? 'Re: ' : '') + base,
    from: sent ? ME : { name, email },
    to: sent ? [{ name, email }] : [{ name: ME.name, email: ME.email }],
    date: t,
    seen: box !== 'INBOX' ? rnd() < 0.9 : !(i < 9 || rnd() < 0.12),
    flagged: rnd() < 0.08,
    answered: rnd() < 0.15,
    forwarded: rnd() < 0.05,
    draft: box === 'Drafts',
    size: Math.floor(1500 + rnd() * rnd() * 900000),
    hasAttachments: rnd() < 0.2,
    preview: rnd() < 0.05 ? '' : sentence(10 + Math.floor(rnd() * 25)),
  };
}
function fill(box, count, start) {
  let t = start;
  for (let i = 0; i < count; i++) {
    boxes.get(box).push(makeMessage(box, i, t));
    t -= Math.floor(600 + rnd() * 5 * 3600);
  }
}
fill('INBOX', 300, now - 1500);
fill('Drafts', 3, now - 7200);
fill('Sent', 40, now - 5000);
fill('Junk', 5, now - 20000);
fill('Trash', 9, now - 90000);
fill('Archive', 25, now - 86400 * 60);
fill('Projects/Petrel', 12, now - 86400 * 3);
fill('Receipts', 7, now - 86400 * 400);
fill('Входящие/Счета', 4, now - 86400 * 30);
const inbox = boxes.get('INBOX');
inbox[0].subject = 'Design review: new mailbox screen';
inbox[0].from = { name: 'Bob Jones', email: 'bob@example.test' };
inbox[0].preview = 'Hi Alice, here are my notes on the three-pane layout. The unread bar works well; can we make the ' +
  'selected row a little stronger in dark mode? Also the pager should say how many there are in total.';
inbox[0].hasAttachments = true;
inbox[0].to = [{ name: 'Alice Example', email: 'alice@example.test' }, { name: 'Carol Müller', email: 'carol@example.org' }];

function folderList() {
  return folders.map((f) => {
    const box = boxes.get(f.path);
    const i = f.path.lastIndexOf('/');
    return {
      path: f.path, name: f.name, delimiter: '/', special: f.special,
      unseen: box.filter((m) => !m.seen).length, total: box.length,
      subscribed: true, selectable: true,
      depth: f.path.split('/').length - 1, parent: i > 0 ? f.path.slice(0, i) : null,
    };
  });
}

// ---- search, sort, threads ---------------------------------------------------

function tokens(q) {
  const out = [];
  const re = /(\w+:)?("([^"]*)"|\S+)/g;
  let m;
  while ((m = re.exec(q))) out.push({ key: (m[1] || '').slice(0, -1).toLowerCase(), val: (m[3] ?? m[2]).toLowerCase() });
  return out;
}
function matches(msg, q) {
  const from = `${msg.from.name} ${msg.from.email}`.toLowerCase();
  const to = msg.to.map((a) => `${a.name} ${a.email}`).join(' ').toLowerCase();
  return tokens(q).every(({ key, val }) => {
    switch (key) {
      case 'from': return from.includes(val);
      case 'to': return to.includes(val);
      case 'subject': return msg.subject.toLowerCase().includes(val);
      case 'has': return val.startsWith('attach') ? msg.hasAttachments : true;
      case 'is': return { unread: !msg.seen, read: msg.seen, seen: msg.seen, flagged: msg.flagged, answered: msg.answered }[val] ?? true;
      case 'before': return msg.date < Date.parse(val) / 1000;
      case 'after': return msg.date >= Date.parse(val) / 1000;
      default: return `${from} ${msg.subject} ${msg.preview}`.toLowerCase().includes(val);
    }
  });
}
function sorter(sort) {
  const desc = sort.startsWith('-');
  const field = sort.replace(/^-/, '') || 'date';
  const key = {
    date: (m) => m.date, arrival: (m) => m.uid, size: (m) => m.size,
    from: (m) => (m.from.name || m.from.email).toLowerCase(),
    subject: (m) => m.subject.replace(/^(re|fwd?):\s*/i, '').toLowerCase(),
  }[field] || ((m) => m.date);
  return (a, b) => {
    const x = key(a), y = key(b);
    const c = x < y ? -1 : x > y ? 1 : a.uid - b.uid;
    return desc ? -c : c;
  };
}
function threadsOf(list) {
  const groups = new Map();
  for (const m of list) {
    const k = m.subject.replace(/^(re|fwd?):\s*/i, '').toLowerCase();
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(m);
  }
  return [...groups.values()].map((g) => g.sort((a, b) => a.date - b.date));
}

function messageList(b) {
  const box = boxes.get(b.folder);
  if (!box) return [404, { error: { code: 'NotFound', message: 'This folder does not exist.' } }];
  const limit = Math.min(500, b.limit || 25);
  const offset = Math.max(0, b.offset || 0);
  let list = b.search ? box.filter((m) => matches(m, b.search)) : box.slice();
  const cmp = sorter(b.sort || '-date');
  if (b.threads) {
    const th = threadsOf(list);
    th.sort((x, y) => cmp(x[0], y[0]));
    const page = th.slice(offset, offset + limit);
    const out = [];
    for (const g of page) g.forEach((m, i) => out.push({ ...m, threadDepth: i ? 1 : 0, threadSize: i ? 1 : g.length }));
    return [200, { total: th.length, offset, limit, uidvalidity: 1, messages: out }];
  }
  list.sort(cmp);
  return [200, { total: list.length, offset, limit, uidvalidity: 1,
    messages: list.slice(offset, offset + limit).map((m) => ({ ...m, threadDepth: 0, threadSize: 1 })) }];
}

// ---- HTTP --------------------------------------------------------------------

// Signed in by default; with FAKE_SIGNED_OUT=1 a session cookie is needed,
// set by Login and cleared by Logout, like the real thing.
const NEED_LOGIN = !!process.env.FAKE_SIGNED_OUT;
function isSignedIn(req) { return !NEED_LOGIN || /(^|;\s*)fake_session=ok/.test(req.headers.cookie || ''); }
let cookieOut = null;
const TYPES = { '.css': 'text/css', '.js': 'text/javascript', '.svg': 'image/svg+xml', '.png': 'image/png' };

// ---- the message view (docs/API.md "Message") -----------------------------

const BODY_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'";
const q = (folder, uid) => `folder=${encodeURIComponent(folder)}&uid=${uid}`;
// "Always show images from <sender>" (ImagesAllow / ImagesDisallow).
const imageSenders = new Set();
const senderOf = (msg) => String(msg.from.email || '').toLowerCase();
function fullMessage(folder, msg) {
  const rich = msg.uid % 3 === 0;
  const allowed = imageSenders.has(senderOf(msg));
  const many = msg.uid % 5 === 0;
  const others = many ? PEOPLE.slice(0, 9).map(([name, email]) => ({ name, email })) : [];
  const att = msg.hasAttachments ? [
    { part: '2', name: 'Отчёт за 2024 год (финальная версия).pdf', type: 'application/pdf', size: 184320, cid: null },
    { part: '3', name: 'photo-from-the-trip.jpg', type: 'image/jpeg', size: 2412000, cid: null },
    { part: '4', name: 'numbers.xlsx', type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', size: 23110, cid: null },
  ].map((a) => ({ ...a, url: `/message/part?${q(folder, msg.uid)}&part=${a.part}` })) : [];
  return {
    subject: msg.subject, from: msg.from, to: [...msg.to, ...others], cc: many ? [{ name: 'Peggy Smith', email: 'peggy@example.test' }] : [],
    replyTo: [], date: msg.date, size: msg.size,
    text: (msg.preview || '') + '\n\n> quoted line\n\nBob',
    html: rich ? '<p>sanitized</p>' : null,
    bodyUrl: `/message/body?${q(folder, msg.uid)}${allowed && rich ? '&images=1' : ''}`,
    remoteBlocked: rich && !allowed,
    imagesAllowedForSender: allowed,
    attachments: att,
    calendar: msg.uid % 7 === 0 ? { method: 'REQUEST', summary: 'Design review', start: msg.date + 86400, end: msg.date + 90000, location: 'Room 4 / video call', organizer: msg.from } : undefined,
  };
}
function bodyDoc(folder, uid, images) {
  const msg = (boxes.get(folder) || []).find((x) => x.uid === uid);
  if (!msg) return null;
  const esc2 = (x) => esc(x);
  const rich = uid % 3 === 0;
  const inner = rich
    ? `<table width="100%" style="background:#f4f1ea;padding:24px"><tr><td><h2 style="color:#334">${esc2(msg.subject)}</h2>` +
      `<p>${esc2(msg.preview)}</p><p>${images ? '<img src="https://picsum.photos/400/120" alt="banner" width="400" height="120">' : '<span style="display:inline-block;width:400px;height:120px;border:1px dashed #aaa;color:#888">[image blocked]</span>'}</p>` +
      '<p><a href="https://example.com/" target="_blank" rel="noopener noreferrer">A link</a></p></td></tr></table>'
    : `<pre style="white-space:pre-wrap;font:15px/1.6 system-ui,sans-serif;margin:0">${esc2(msg.preview)}\n\n&gt; quoted line\n\nBob</pre>`;
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${esc2(msg.subject)}</title></head><body style="margin:16px;font-family:system-ui,sans-serif;color:#222">${inner}</body></html>`;
}

// ---- compose (docs/API.md "Compose"): identities, recipients, uploads, drafts, send ----

const COMPOSE = { autosaveSeconds: Number(process.env.FAKE_AUTOSAVE || 60), attachmentLimit: 5 * 1048576, uploadTotalLimit: 12 * 1048576 };
let identities = [{ id: 'default', name: ME.name, email: ME.email, replyTo: '', signature: 'Alice\nPetrel team', signatureHtml: false, signatureAbove: false, sentFolder: '', isDefault: true }];
let nextIdentity = 1;
const uploads = new Map();
let nextUpload = 1;
const sendTokens = new Map();
const recent = PEOPLE.map(([name, email]) => ({ name, email }));
const ADDR = /^[^\s@<>()",;:]+@[^\s@<>()",;:.]+(\.[^\s@<>()",;:.]+)*$/;
const emailOf = (a) => { const m = /<([^<>]*)>\s*$/.exec(a); return (m ? m[1] : a).trim(); };
const nameOf = (a) => { const m = /^\s*"?(.*?)"?\s*<[^<>]*>\s*$/.exec(a); return m ? m[1] : ''; };
const addrOf = (o) => (o.name ? `${o.name} <${o.email}>` : o.email);

function composeFrom(b) {
  const box = boxes.get(b.folder);
  const msg = box && box.find((x) => x.uid === Number(b.uid));
  if (!msg) return [404, { error: { code: 'NotFound', message: 'This message does not exist any more.' } }];
  const full = fullMessage(b.folder, msg);
  const strip = (s) => s.replace(/^((re|fwd?):\s*)+/i, '');
  const when = new Date(msg.date * 1000).toUTCString();
  const who = msg.from.name || msg.from.email;
  const quote = `On ${when}, ${who} wrote:\n` + full.text.split('\n').map((l) => '> ' + l).join('\n');
  const out = { identityId: 'default', to: [], cc: [], bcc: [], replyTo: '', subject: '', text: '', html: null, attachments: [], inReplyTo: null, forwardOf: null, draftUid: null };
  const copyAtts = () => full.attachments.map((a) => { const id = 'u' + nextUpload++; uploads.set(id, { id, name: a.name, type: a.type, size: a.size }); return uploads.get(id); });
  switch (b.mode) {
    case 'reply': case 'replyAll':
      out.subject = 'Re: ' + strip(msg.subject);
      out.to = [addrOf(msg.from)];
      if (b.mode === 'replyAll') {
        const mine = new Set(identities.map((i) => i.email.toLowerCase()));
        out.cc = [...full.to, ...full.cc].filter((a) => !mine.has(a.email.toLowerCase()) && a.email !== msg.from.email).map(addrOf);
      }
      out.text = quote;
      if (full.html) out.html = `<div>On ${esc(when)}, ${esc(who)} wrote:</div><blockquote type="cite">${full.html}</blockquote>`;
      out.inReplyTo = { folder: b.folder, uid: msg.uid };
      break;
    case 'forward':
      out.subject = 'Fwd: ' + strip(msg.subject);
      out.text = `---------- Forwarded message ----------\nFrom: ${addrOf(msg.from)}\nSubject: ${msg.subject}\n\n${full.text}`;
      out.attachments = copyAtts();
      out.forwardOf = { folder: b.folder, uid: msg.uid };
      break;
    case 'forwardAttachment': {
      out.subject = 'Fwd: ' + strip(msg.subject);
      const id = 'u' + nextUpload++;
      uploads.set(id, { id, name: msg.subject + '.eml', type: 'message/rfc822', size: msg.size });
      out.attachments = [uploads.get(id)];
      out.forwardOf = { folder: b.folder, uid: msg.uid };
      break;
    }
    case 'editAsNew':
      out.subject = msg.subject;
      out.to = msg.to.map(addrOf);
      out.text = msg.body ?? full.text;
      out.html = msg.html ?? null;
      out.attachments = copyAtts();
      if (b.folder === 'Drafts') out.draftUid = msg.uid;
      break;
    default: return [400, { error: { code: 'InvalidInput', message: 'Unknown mode.' } }];
  }
  return [200, out];
}

function checkCompose(b) {
  for (const a of [...(b.to || []), ...(b.cc || []), ...(b.bcc || [])]) {
    if (!ADDR.test(emailOf(a))) return [400, { error: { code: 'invalid_address', message: `"${a}" is not a valid address.`, detail: emailOf(a) } }];
  }
  return null;
}
function storeCopy(folder, b, uidToDrop) {
  const box = boxes.get(folder);
  if (uidToDrop) boxes.set(folder, box.filter((m) => m.uid !== uidToDrop));
  const to = (b.to || []).map((a) => ({ name: nameOf(a), email: emailOf(a) }));
  const m = { uid: nextUid++, subject: b.subject || '', from: ME, to, date: Math.floor(Date.now() / 1000), seen: true, flagged: false,
    answered: false, forwarded: false, draft: folder === 'Drafts', size: (b.text || '').length + 600, hasAttachments: !!(b.attachments || []).length,
    preview: (b.text || '').slice(0, 200), body: b.text || '', html: b.html || null };
  boxes.get(folder).unshift(m);
  return m.uid;
}

function composeApi(action, b) {
  switch (action) {
    case 'Identities': return [200, { identities }];
    case 'IdentitySave': {
      if (!ADDR.test(String(b.email || ''))) return [400, { error: { code: 'invalid_address', message: 'That is not an address.', detail: b.email } }];
      const rec = { id: b.id || 'i' + nextIdentity++, name: b.name || '', email: b.email, replyTo: b.replyTo || '', signature: b.signature || '',
        signatureHtml: !!b.signatureHtml, signatureAbove: !!b.signatureAbove, sentFolder: b.sentFolder || '', isDefault: !!b.isDefault };
      if (rec.isDefault) identities.forEach((i) => { i.isDefault = false; });
      const i = identities.findIndex((x) => x.id === rec.id);
      if (i >= 0) identities[i] = rec; else identities.push(rec);
      if (!identities.some((x) => x.isDefault)) identities[0].isDefault = true;
      return [200, { id: rec.id }];
    }
    case 'IdentityDelete':
      identities = identities.filter((x) => x.id !== b.id);
      if (!identities.length) identities = [{ id: 'default', name: '', email: ME.email, replyTo: '', signature: '', signatureHtml: false, signatureAbove: false, sentFolder: '', isDefault: true }];
      return [200, {}];
    case 'AddressSuggest': {
      const q = String(b.q || '').toLowerCase();
      return [200, { addresses: recent.filter((a) => `${a.name} ${a.email}`.toLowerCase().includes(q)).slice(0, b.limit || 10) }];
    }
    case 'ComposeFrom': return composeFrom(b);
    case 'UploadDelete': uploads.delete(b.id); return [200, {}];
    case 'SaveDraft': {
      const bad = checkCompose(b);
      if (bad) return bad;
      return [200, { draftUid: storeCopy('Drafts', b, b.draftUid) }];
    }
    case 'Send': {
      if (!b.sendToken) return [400, { error: { code: 'InvalidInput', message: 'sendToken is missing.' } }];
      if (sendTokens.has(b.sendToken)) return sendTokens.get(b.sendToken);
      const bad = checkCompose(b);
      if (bad) return bad;
      const all = [...(b.to || []), ...(b.cc || []), ...(b.bcc || [])];
      if (!all.length) return [400, { error: { code: 'invalid_address', message: 'There are no recipients.' } }];
      const rejected = all.find((a) => /^(reject|nobody)/.test(emailOf(a)));
      if (rejected) {
        return [502, { error: { code: 'smtp_rejected', message: `550 5.1.1 <${emailOf(rejected)}>: Recipient address rejected: User unknown in local recipient table`, detail: `RCPT TO ${emailOf(rejected)}` } }];
      }
      for (const a of all) if (!recent.some((r) => r.email === emailOf(a))) recent.unshift({ name: nameOf(a), email: emailOf(a) });
      if (b.draftUid) boxes.set('Drafts', boxes.get('Drafts').filter((m) => m.uid !== b.draftUid));
      const sentUid = storeCopy('Sent', b, null);
      const out = [200, { messageId: `<fake-${sentUid}@example.test>`, sentUid, sentSaved: true }];
      sendTokens.set(b.sendToken, out);
      return out;
    }
    default: return null;
  }
}

// Upload: one multipart/form-data part "file"; the fake keeps only its size.
function upload(req, res) {
  let size = 0;
  const type = req.headers['content-type'] || '';
  const boundary = (/boundary=(?:"([^"]+)"|([^;]+))/.exec(type) || [])[1] || (/boundary=([^;]+)/.exec(type) || [])[1];
  const chunks = [];
  req.on('data', (c) => { size += c.length; if (size < 64 * 1048576) chunks.push(c); });
  req.on('end', () => {
    const reply = (status, out) => setTimeout(() => send(res, status, JSON.stringify(out), 'application/json'), DELAY);
    if (req.headers['x-petrel-token'] !== CSRF) return reply(403, { error: { code: 'Forbidden', message: 'Your page is out of date. Please reload it and try again.' } });
    if (!boundary) return reply(400, { error: { code: 'InvalidInput', message: 'Expected multipart/form-data.' } });
    const raw = Buffer.concat(chunks).toString('latin1');
    const head = /Content-Disposition: form-data; name="file"; filename="([^"]*)"\r\n(?:Content-Type: ([^\r]*)\r\n)?\r\n/i.exec(raw);
    if (!head) return reply(400, { error: { code: 'InvalidInput', message: 'The field "file" is missing.' } });
    const start = head.index + head[0].length;
    const end = raw.indexOf('\r\n--' + boundary, start);
    const bytes = end - start;
    if (bytes > COMPOSE.attachmentLimit) {
      return reply(413, { error: { code: 'too_large', message: `The file is larger than the limit of ${COMPOSE.attachmentLimit / 1048576} MB.` } });
    }
    const id = 'u' + nextUpload++;
    const rec = { id, name: Buffer.from(head[1], 'latin1').toString('utf8'), type: head[2] || 'application/octet-stream', size: bytes };
    uploads.set(id, rec);
    return reply(200, rec);
  });
}

function send(res, status, body, type, extra) {
  res.writeHead(status, { 'Content-Type': type, 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', ...extra });
  res.end(body);
}

function api(action, b, req) {
  if (action === 'Login') {
    if (b.email !== ME.email || b.password !== 'alice-pass-1') {
      return [401, { error: { code: 'AuthRequired', message: 'Wrong email address or password.' } }];
    }
    cookieOut = 'fake_session=ok; Path=/; HttpOnly; SameSite=Strict';
    return [200, { csrf: CSRF, email: ME.email }];
  }
  if (!isSignedIn(req)) return [401, { error: { code: 'AuthRequired', message: 'Your session has ended. Please sign in again.' } }];
  if (req.headers['x-petrel-token'] !== CSRF) return [403, { error: { code: 'Forbidden', message: 'Your page is out of date. Please reload it and try again.' } }];
  const box = boxes.get(b.folder);
  const pickUids = () => new Set(b.uids || []);
  switch (action) {
    case 'Logout': cookieOut = 'fake_session=; Path=/; Max-Age=0'; return [200, {}];
    case 'Session': return [200, { email: ME.email, csrf: CSRF, lang: 'en' }];
    case 'Folders': return [200, { folders: folderList() }];
    case 'FolderCreate':
      if (boxes.has(b.path)) return [409, { error: { code: 'Conflict', message: 'A folder with that name exists.' } }];
      folders.push({ path: b.path, name: b.path.split('/').pop(), special: null });
      boxes.set(b.path, []);
      return [200, {}];
    case 'FolderDelete': {
      const i = folders.findIndex((f) => f.path === b.path);
      if (i < 0) return [404, { error: { code: 'NotFound', message: 'This folder does not exist.' } }];
      folders.splice(i, 1);
      boxes.delete(b.path);
      return [200, {}];
    }
    case 'MessageList': return messageList(b);
    case 'Message': {
      const msg = box && box.find((x) => x.uid === Number(b.uid));
      if (!msg) return [404, { error: { code: 'NotFound', message: 'This message does not exist any more.' } }];
      msg.seen = true;
      return [200, fullMessage(b.folder, msg)];
    }
    case 'ImagesAllow': case 'ImagesDisallow': {
      const who = String(b.sender || '').trim().toLowerCase();
      if (!/^[^@\s]+@[^@\s]+$/.test(who)) return [400, { error: { code: 'InvalidInput', message: 'That is not an address.' } }];
      if (action === 'ImagesAllow') imageSenders.add(who); else imageSenders.delete(who);
      return [200, {}];
    }
    case 'ImagesAllowed': return [200, { senders: [...imageSenders].sort() }];
    case 'MessageHeaders': {
      const msg = box && box.find((x) => x.uid === Number(b.uid));
      if (!msg) return [404, { error: { code: 'NotFound', message: 'This message does not exist any more.' } }];
      return [200, { headers: [
        { name: 'Return-Path', value: `<${msg.from.email}>` },
        { name: 'Received', value: 'from mx.example.net (mx.example.net [192.0.2.7])\r\n\tby imap.example.test with ESMTPS id 4f1c; ' + new Date(msg.date * 1000).toUTCString() },
        { name: 'Received', value: 'from [10.0.0.4] by mx.example.net; ' + new Date(msg.date * 1000 - 4000).toUTCString() },
        { name: 'DKIM-Signature', value: 'v=1; a=rsa-sha256; d=example.net; s=mail; h=from:to:subject:date; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=dzdVyOfAKCdLXdJOc9G2q8LoXSlEniSbav+yuU4zGeeruD00lszZVoG4ZHRNiYzR' },
        { name: 'From', value: msg.from.name ? `${msg.from.name} <${msg.from.email}>` : msg.from.email },
        { name: 'To', value: msg.to.map((a) => a.email).join(', ') },
        { name: 'Subject', value: msg.subject },
        { name: 'Date', value: new Date(msg.date * 1000).toUTCString() },
        { name: 'Message-ID', value: `<fake-${msg.uid}@example.test>` },
        { name: 'X-Test', value: '<script>alert(1)</script> & "quotes"' },
      ] }];
    }
    case 'MessageSetSeen': case 'MessageSetFlagged': {
      if (!box) return [404, { error: { code: 'NotFound', message: 'This folder does not exist.' } }];
      const u = pickUids(); let n = 0;
      for (const m of box) if (u.has(m.uid)) { m[action === 'MessageSetSeen' ? 'seen' : 'flagged'] = !!b.value; n++; }
      return [200, { updated: n }];
    }
    // Labels (docs/API.md): Thunderbird's five, keywords kept on the rows.
    case 'Labels': return [200, {
      labels: [['$label1', 'Important', 'red'], ['$label2', 'Work', 'orange'], ['$label3', 'Personal', 'green'],
        ['$label4', 'To Do', 'blue'], ['$label5', 'Later', 'purple']].map(([keyword, name, colour]) => ({ keyword, name, colour })),
      colours: ['red', 'orange', 'yellow', 'green', 'teal', 'blue', 'purple', 'pink', 'gray'],
    }];
    case 'MessageSetKeywords': {
      if (!box) return [404, { error: { code: 'NotFound', message: 'This folder does not exist.' } }];
      const u = pickUids(); let n = 0;
      for (const m of box) {
        if (!u.has(m.uid)) continue;
        const kws = (m.keywords || []).filter((k) => !(b.remove || []).includes(k));
        for (const k of b.add || []) if (!kws.includes(k)) kws.push(k);
        m.keywords = kws; n++;
      }
      return [200, { updated: n }];
    }
    case 'MessageMove': case 'MessageDelete': {
      let to = b.to;
      if (action === 'MessageDelete') to = (b.folder === 'Trash' || b.folder === 'Junk') ? null : 'Trash';
      if (!box || (to && !boxes.has(to))) return [404, { error: { code: 'NotFound', message: 'This folder does not exist.' } }];
      const u = pickUids();
      const moving = box.filter((m) => u.has(m.uid));
      boxes.set(b.folder, box.filter((m) => !u.has(m.uid)));
      if (to) for (const m of moving) boxes.get(to).push({ ...m, uid: nextUid++ });
      return [200, action === 'MessageMove' ? { moved: moving.length } : { deleted: moving.length }];
    }
    default: return filtersApi(action, b) || composeApi(action, b) || [404, { error: { code: 'NotFound', message: 'Unknown action.' } }];
  }
}

// ==== filters (issue #6, /work/notes/contract-filters.md) ==================
// Filters, FiltersSave and the raw Filters* calls over an in-memory
// ManageSieve account. FAKE_FILTERS=off turns the feature off for the
// domain, FAKE_SIEVE_RAW=0 forbids raw mode, FAKE_SIEVE_CAPS="a b c"
// replaces the capability list, FAKE_SIEVE_FOREIGN=1 starts with a
// script another tool wrote.
const FILTERS_ON = process.env.FAKE_FILTERS !== 'off';
const SIEVE_RAW = process.env.FAKE_SIEVE_RAW !== '0';
const SIEVE_CAPS = (process.env.FAKE_SIEVE_CAPS ||
  'fileinto reject envelope encoded-character vacation subaddress comparator-i;ascii-numeric relational regex imap4flags copy include variables body enotify environment mailbox date index ihave duplicate mime').split(/\s+/);
const sieve = {
  scripts: new Map([['roundcube', '# rule:[Old newsletter rule]\nif header :contains "list-id" "news" {\n  fileinto "Junk";\n}\n']]),
  active: process.env.FAKE_SIEVE_FOREIGN === '1' ? 'roundcube' : 'petrel',
  rules: [
    { name: 'Receipts', enabled: true, match: 'any', conditions: [
      { field: 'from', op: 'contains', value: 'billing@cloud.example.com' },
      { field: 'subject', op: 'begins', value: 'Your invoice' }],
    actions: [{ type: 'move', folder: 'Receipts' }, { type: 'read' }] },
    { name: 'GitLab noise', enabled: false, match: 'all', conditions: [
      { field: 'header:X-GitLab-Project', op: 'is', value: 'petrel' },
      { field: 'size', op: 'over', value: '2M' }],
    actions: [{ type: 'move', folder: 'Projects/Petrel' }, { type: 'stop' }] },
  ],
  vacation: { enabled: false, subject: 'Away', text: '', days: 7, addresses: [] },
};
sieve.scripts.set('petrel', '# Petrel filters\nrequire ["fileinto", "imap4flags"];\n');

const fErr = (status, code, message, extra) => [status, { error: { code, message, detail: extra?.detail, ...extra } }];
const FADDR = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function checkRules(rules) {
  if (!Array.isArray(rules)) return 'rules: not a list';
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i];
    if (!r || typeof r.name !== 'string' || !r.name.trim()) return `rule ${i + 1}: name: empty`;
    if (!['all', 'any'].includes(r.match)) return `rule ${i + 1}: match: must be all or any`;
    for (let j = 0; j < (r.conditions || []).length; j++) {
      const c = r.conditions[j];
      if (!/^(from|to|subject|body|size|header:[!-9;-~]+)$/.test(c.field)) return `rule ${i + 1}: condition ${j + 1}: field: unknown`;
      if (!String(c.value || '').length) return `rule ${i + 1}: condition ${j + 1}: value: empty`;
      if (c.field === 'size' && !/^\d+[KMG]?$/.test(c.value)) return `rule ${i + 1}: condition ${j + 1}: value: not a size`;
      if (c.op === 'regex' && !SIEVE_CAPS.includes('regex')) return `rule ${i + 1}: condition ${j + 1}: op: the server has no regex`;
    }
    if (!(r.actions || []).length) return `rule ${i + 1}: actions: empty`;
    for (let j = 0; j < r.actions.length; j++) {
      const a = r.actions[j];
      if ((a.type === 'move' || a.type === 'copy') && !a.folder) return `rule ${i + 1}: action ${j + 1}: folder: empty`;
      if (a.type === 'redirect' && !FADDR.test(a.address || '')) return `rule ${i + 1}: action ${j + 1}: address: not an address`;
      if (a.type === 'reject' && !SIEVE_CAPS.includes('reject')) return `rule ${i + 1}: action ${j + 1}: type: the server has no reject`;
      // A stand-in for a server-side refusal the UI must show as is.
      if (a.type === 'redirect' && /@blocked\.example$/.test(a.address)) return `rule ${i + 1}: action ${j + 1}: address: redirects to this domain are not allowed`;
    }
  }
  return null;
}

// A crude CHECKSCRIPT: every statement must start with a known command.
const SIEVE_WORDS = /^(require|if|elsif|else|fileinto|keep|discard|stop|redirect|reject|vacation|addflag|setflag|removeflag|anyof|allof|not|header|address|size|true|false|[{}#\]\[":,;)(]|$)/;
function checkScript(text) {
  const lines = String(text).split('\n');
  let inString = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim();
    if (inString) { if (l === '.') inString = false; continue; }
    if (/text:\s*$/.test(l)) { inString = true; continue; }
    if (l.startsWith('#') || l.startsWith('"') || l.startsWith(':')) continue;
    const word = (/^[A-Za-z_][\w-]*/.exec(l) || [''])[0];
    if (word && !SIEVE_WORDS.test(word)) return { line: i + 1, text: `unknown command '${word}' (only commands the server knows are allowed here)` };
  }
  return null;
}

function filtersApi(action, b) {
  if (!action.startsWith('Filters')) return null;
  if (!FILTERS_ON) return fErr(404, 'filters_disabled', 'Filters are not available for this account.');
  const rawCall = action !== 'Filters' && action !== 'FiltersSave';
  if (rawCall && !SIEVE_RAW) return fErr(403, 'raw_disabled', 'Editing Sieve scripts directly is not allowed here.');
  const names = () => [...sieve.scripts.keys()].sort();
  switch (action) {
    case 'Filters':
      return [200, { enabled: true, allowRaw: SIEVE_RAW, capabilities: SIEVE_CAPS,
        scriptName: sieve.active || null, foreign: !!sieve.active && sieve.active !== 'petrel',
        rules: sieve.active === 'petrel' ? sieve.rules : [], vacation: sieve.vacation }];
    case 'FiltersSave': {
      const bad = checkRules(b.rules);
      if (bad) return fErr(400, 'invalid_rule', 'A rule is not valid.', { detail: bad });
      const v = b.vacation || {};
      if (v.enabled && !String(v.text || '').trim()) return fErr(400, 'invalid_rule', 'The vacation reply has no text.', { detail: 'vacation: text: empty' });
      sieve.rules = b.rules;
      sieve.vacation = v;
      sieve.scripts.set('petrel', '# Petrel filters\n' + JSON.stringify(b, null, 1).split('\n').map((x) => '# ' + x).join('\n') + '\n');
      sieve.active = 'petrel';
      return [200, { scriptName: 'petrel' }];
    }
    case 'FiltersScripts':
      return [200, { scripts: names().map((name) => ({ name, active: name === sieve.active })) }];
    case 'FiltersScriptGet':
      if (!sieve.scripts.has(b.name)) return fErr(404, 'NotFound', 'There is no script with that name.', { detail: 'NONEXISTENT' });
      return [200, { name: b.name, script: sieve.scripts.get(b.name), active: b.name === sieve.active }];
    case 'FiltersScriptSave': {
      if (!b.name) return fErr(400, 'InvalidInput', 'The script needs a name.');
      const bad = checkScript(b.script || '');
      if (bad) return [422, { error: { code: 'sieve_error', message: 'The server did not accept the script.', detail: `line ${bad.line}: ${bad.text}`, line: bad.line } }];
      sieve.scripts.set(b.name, b.script);
      return [200, {}];
    }
    case 'FiltersScriptActivate':
      if (b.name && !sieve.scripts.has(b.name)) return fErr(404, 'NotFound', 'There is no script with that name.', { detail: 'NONEXISTENT' });
      sieve.active = b.name || null;
      return [200, {}];
    case 'FiltersScriptDelete':
      if (!sieve.scripts.has(b.name)) return fErr(404, 'NotFound', 'There is no script with that name.', { detail: 'NONEXISTENT' });
      if (sieve.active === b.name) return fErr(409, 'sieve_error', 'The active script cannot be deleted.', { detail: 'ACTIVE' });
      sieve.scripts.delete(b.name);
      return [200, {}];
    case 'FiltersScriptRename':
      if (!sieve.scripts.has(b.name)) return fErr(404, 'NotFound', 'There is no script with that name.', { detail: 'NONEXISTENT' });
      if (sieve.scripts.has(b.newName)) return fErr(409, 'sieve_error', 'A script with that name exists.', { detail: 'ALREADYEXISTS' });
      sieve.scripts.set(b.newName, sieve.scripts.get(b.name));
      sieve.scripts.delete(b.name);
      if (sieve.active === b.name) sieve.active = b.newName;
      return [200, {}];
    default: return null;
  }
}
// ==== end of filters ========================================================

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const lang = url.searchParams.get('lang') || (/petrel_lang=(\w+)/.exec(req.headers.cookie || '') || [])[1] || 'en';
  const cat = { ...catalogs.en, ...(catalogs[lang] || {}) };
  if (req.method === 'GET' && url.pathname === '/') {
    const dict = { SITE_TITLE: 'Petrel', STATIC: '/static', ASSET_VERSION: 'dev', LANG: catalogs[lang] ? lang : 'en', FAVICON_URL: '/static/img/petrel.svg', FAVICON_TYPE: 'image/svg+xml', LOGO_URL: '/static/img/petrel.svg' };
    if (!isSignedIn(req)) {
      dict.PAGE_TITLE = cat.L_LOGIN_TITLE;
      dict.BOOT_JSON = JSON.stringify({ lang: cat });
      return send(res, 200, render('login.tpl', dict, lang), 'text/html; charset=utf-8');
    }
    dict.PAGE_TITLE = cat.L_MAIL_INBOX;
    dict.BOOT_JSON = JSON.stringify({ email: ME.email, csrf: CSRF, lang: cat, messagesPerPage: 25, folder: 'INBOX', compose: COMPOSE,
      filters: { enabled: FILTERS_ON, allowRaw: SIEVE_RAW } });
    return send(res, 200, render('mailbox.tpl', dict, lang), 'text/html; charset=utf-8');
  }
  // No live updates here: 204 tells EventSource not to reconnect.
  if (url.pathname === '/events') { res.writeHead(204); res.end(); return undefined; }
  if (req.method === 'GET' && url.pathname.startsWith('/static/')) {
    const file = path.normalize(path.join(ROOT, url.pathname));
    if (!file.startsWith(path.join(ROOT, 'static')) || !fs.existsSync(file)) return send(res, 404, 'not found', 'text/plain');
    return send(res, 200, fs.readFileSync(file), TYPES[path.extname(file)] || 'application/octet-stream');
  }
  if (req.method === 'GET' && url.pathname.startsWith('/message/')) {
    if (!isSignedIn(req)) return send(res, 401, 'sign in', 'text/plain');
    const folder = url.searchParams.get('folder');
    const uid = Number(url.searchParams.get('uid'));
    const msg = (boxes.get(folder) || []).find((x) => x.uid === uid);
    if (!msg) return send(res, 404, 'not found', 'text/plain');
    if (url.pathname === '/message/body') {
      return send(res, 200, bodyDoc(folder, uid, url.searchParams.get('images') === '1'), 'text/html; charset=utf-8',
        { 'Content-Security-Policy': BODY_CSP + (url.searchParams.get('images') === '1' ? '; img-src *' : '') });
    }
    if (url.pathname === '/message/raw') {
      const raw = `From: ${msg.from.email}\r\nSubject: ${msg.subject}\r\n\r\n${msg.preview}\r\n`;
      return send(res, 200, raw, 'text/plain; charset=utf-8', url.searchParams.get('download') ? { 'Content-Disposition': 'attachment; filename="message.eml"' } : {});
    }
    if (url.pathname === '/message/zip') {
      // Not a real archive: enough for the link to download something.
      return send(res, 200, 'PK\x05\x06' + '\0'.repeat(18), 'application/zip', { 'Content-Disposition': 'attachment; filename="attachments.zip"' });
    }
    if (url.pathname === '/message/part') return send(res, 200, 'part', 'application/octet-stream', { 'Content-Disposition': 'attachment' });
  }
  const m = /^\/api\/(\w+)$/.exec(url.pathname);
  if (m && m[1] === 'Upload' && req.method === 'POST') return upload(req, res);
  if (m && req.method === 'POST') {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      let b = {};
      try { b = body ? JSON.parse(body) : {}; } catch { return send(res, 400, JSON.stringify({ error: { code: 'InvalidInput', message: 'The request could not be understood.' } }), 'application/json'); }
      cookieOut = null;
      const [status, out] = api(m[1], b, req);
      const cookie = cookieOut;
      setTimeout(() => send(res, status, JSON.stringify(out), 'application/json', cookie ? { 'Set-Cookie': cookie } : {}), DELAY);
    });
    return undefined;
  }
  return send(res, 404, 'not found', 'text/plain');
});

server.listen(PORT, '127.0.0.1', () => {
  console.log(`fake Petrel on http://127.0.0.1:${PORT}/`);
});

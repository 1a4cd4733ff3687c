/*
 * The mailbox's shared state: the one place the modules of static/js/mailbox
 * keep what more than one of them reads or changes. Values are read through
 * a getter and changed through a setter, so a grep for setCursor( finds every
 * place the keyboard row moves. The sets and maps are changed in place
 * (selection.add, byUid.get…): each is one object for the page's lifetime.
 */
import { store } from './common.js';

let folders = [];          // the Folders answer, in server order
let route = null;          // what the URL asks for (router.js parseHash)
let loaded = null;         // the list request whose answer is on screen
let messages = [];         // the rows of the page on screen, in order
let total = 0;             // messages in the folder (or search) in all
let cursor = null;         // uid of the keyboard row
let anchor = null;         // uid where a shift range starts
let openUid = null;        // uid shown in the preview
let listSeq = 0;           // MessageList calls made; only the last one draws
let dragUids = null;       // uids being dragged onto a folder
let pushedM = false;       // the open message was pushed onto history (phone)
let openMenuBtn = null;    // the button whose menu is open
let menuFolder = null;     // path the folder menu was opened for

export const folderMap = new Map();    // path → folder of `folders`
export const byUid = new Map();        // uid → message of `messages`
export const selection = new Set();    // selected uids
export const expanded = new Set();     // thread roots opened
// Folders whose subfolders are hidden; kept in localStorage.
export const collapsedFolders = new Set((store('collapsed') || '').split('\n').filter(Boolean));
// Opened (so \Seen on the server) before the list showed them.
export const pendingSeen = new Set();

export function getFolders() { return folders; }
export function setFolders(list) {
  folders = list;
  folderMap.clear();
  folders.forEach(function (f) { folderMap.set(f.path, f); });
}

export function getRoute() { return route; }
export function setRoute(r) { route = r; }
export function getLoaded() { return loaded; }
export function setLoaded(r) { loaded = r; }
export function getMessages() { return messages; }
export function setMessages(list) { messages = list; }
export function getTotal() { return total; }
export function setTotal(n) { total = n; }
export function getCursor() { return cursor; }
export function setCursor(uid) { cursor = uid; }
export function getAnchor() { return anchor; }
export function setAnchor(uid) { anchor = uid; }
export function getOpenUid() { return openUid; }
export function setOpenUid(uid) { openUid = uid; }
export function getListSeq() { return listSeq; }
export function nextListSeq() { listSeq += 1; return listSeq; }
export function getDragUids() { return dragUids; }
export function setDragUids(uids) { dragUids = uids; }
export function getPushedM() { return pushedM; }
export function setPushedM(v) { pushedM = v; }
export function getOpenMenuBtn() { return openMenuBtn; }
export function setOpenMenuBtn(b) { openMenuBtn = b; }
export function getMenuFolder() { return menuFolder; }
export function setMenuFolder(path) { menuFolder = path; }

// The selection becomes exactly these uids.
export function replaceSelection(uids) {
  selection.clear();
  (uids || []).forEach(function (u) { selection.add(u); });
}

// Folder import and export (issue 17; docs/API.md "Import and export of
// folders"): "Import…" and "Export" in the folder menu, and .eml / .mbox
// files dropped onto a folder in the sidebar. Import posts the files with
// FolderImport and says in a toast how many landed and why the others did
// not; export is a plain download of /message/export.
import { $ } from '../lib/dom.js';
import { boot, foldersEl, t, tf, toast } from './common.js';
import { getRoute, selection } from './state.js';
import { loadFolders } from './folders.js';
import { loadList } from './list.js';
import { closeMenus, toggleMenu } from './chrome.js';

var folderMenu = $('folder-menu');
var picker = document.createElement('input');
picker.type = 'file';
picker.multiple = true;
picker.accept = '.eml,.mbox,message/rfc822,application/mbox';
picker.hidden = true;
picker.id = 'import-picker';
document.body.appendChild(picker);
var pickFor = null;

// The folder whose menu is open: its row carries menu-open (folders.js).
function menuPath() {
  var li = foldersEl.querySelector('li.menu-open[data-path]');
  return li ? li.dataset.path : null;
}

export function exportUrl(folder, uids, format) {
  var q = 'folder=' + encodeURIComponent(folder) + '&format=' + (format || 'mbox');
  if (uids && uids.length) q += '&uids=' + uids.join(',');
  return '/message/export?' + q;
}

function download(url) {
  var a = document.createElement('a');
  a.href = url;
  a.download = '';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

export function importFiles(folder, files) {
  var list = Array.prototype.filter.call(files, function (f) {
    return /\.(eml|mbox)$/i.test(f.name) || f.type === 'message/rfc822';
  });
  if (!list.length) {
    toast(t('L_MAIL_IMPORT_NONE', 'Only .eml and .mbox files can be imported.'), { error: true });
    return Promise.resolve(null);
  }
  var form = new FormData();
  form.append('folder', folder);
  list.forEach(function (f) { form.append('file', f, f.name); });
  var busy = toast(tf('L_MAIL_IMPORT_BUSY', 'Importing {n} file(s)…', { n: list.length }));
  return fetch('/api/FolderImport', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Accept': 'application/json', 'X-Petrel-Token': boot.csrf || '' },
    body: form
  }).then(function (resp) {
    return resp.json().catch(function () { return {}; }).then(function (data) {
      if (!resp.ok) throw new Error((data.error && data.error.message) || t('L_ERROR_INTERNAL', 'An internal error occurred.'));
      return data;
    });
  }).then(function (r) {
    busy();
    var bad = (r.results || []).filter(function (x) { return !x.ok; });
    var text = tf('L_MAIL_IMPORT_DONE', 'Imported {ok} message(s) into {folder}.', { ok: r.imported, folder: folder });
    if (bad.length) {
      text += ' ' + tf('L_MAIL_IMPORT_FAILED', '{n} failed:', { n: r.failed }) + ' ' +
        bad.slice(0, 3).map(function (x) { return x.name + ' (' + x.error + ')'; }).join('; ');
    }
    toast(text, { error: bad.length > 0 });
    loadFolders();
    if (getRoute().folder === folder) loadList();
    return r;
  }, function (e) {
    busy();
    toast(e.message, { error: true });
    return null;
  });
}

folderMenu.addEventListener('click', function (ev) {
  var b = ev.target.closest('[data-folder-action]');
  if (!b || b.disabled) return;
  var action = b.dataset.folderAction;
  if (action !== 'import' && action !== 'export' && action !== 'export-zip') return;
  var path = menuPath();
  if (!path) return;
  if (action === 'export') download(exportUrl(path));
  else if (action === 'export-zip') download(exportUrl(path, null, 'zip'));
  else {
    pickFor = path;
    picker.value = '';
    picker.click();
  }
}, true);

picker.addEventListener('change', function () {
  if (pickFor && picker.files.length) importFiles(pickFor, picker.files);
  pickFor = null;
});

// Files dragged from the desktop onto a folder row. Messages dragged
// inside the page carry no "Files" type and stay with folders.js.
function fileDrag(ev) {
  return ev.dataTransfer && Array.prototype.indexOf.call(ev.dataTransfer.types, 'Files') >= 0;
}

function rowOf(ev) { return ev.target.closest && ev.target.closest('li[data-path]'); }

foldersEl.addEventListener('dragover', function (ev) {
  if (!fileDrag(ev) || !rowOf(ev)) return;
  ev.preventDefault();
  ev.dataTransfer.dropEffect = 'copy';
  foldersEl.querySelectorAll('li.file-drop').forEach(function (li) { if (li !== rowOf(ev)) li.classList.remove('file-drop'); });
  rowOf(ev).classList.add('file-drop');
});

foldersEl.addEventListener('dragleave', function (ev) {
  var li = rowOf(ev);
  if (li && !li.contains(ev.relatedTarget)) li.classList.remove('file-drop');
});

foldersEl.addEventListener('drop', function (ev) {
  if (!fileDrag(ev)) return;
  var li = rowOf(ev);
  if (!li) return;
  ev.preventDefault();
  ev.stopPropagation();
  li.classList.remove('file-drop');
  importFiles(li.dataset.path, ev.dataTransfer.files);
}, true);

// The list toolbar: the selected messages of the open folder, as one
// mbox or a zip of .eml files.
$('export-sel-btn').addEventListener('click', function () { toggleMenu($('export-sel-btn')); });
$('export-sel-menu').addEventListener('click', function (ev) {
  var b = ev.target.closest('[data-export-format]');
  if (!b) return;
  closeMenus();
  if (!selection.size) return;
  download(exportUrl(getRoute().folder, Array.from(selection), b.dataset.exportFormat));
});

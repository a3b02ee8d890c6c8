// The Canopy dashboard: polls /status.json and /network.json every 2 s and renders them with DOM
// calls only (every value goes in as text, never as markup). Stable data-testid / data-* attributes
// let tests and scripts find the values.
'use strict';

const POLL_MS = 2000;
const SVG = 'http://www.w3.org/2000/svg';

function $(id) { return document.getElementById(id); }

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== null && v !== undefined) e.setAttribute(k, String(v));
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c === null || c === undefined ? '' : String(c)));
  return e;
}

function text(id, value) { $(id).textContent = value === null || value === undefined ? '–' : String(value); }

function bytes(n) {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n, u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return (u === 0 ? v : v.toFixed(1)) + ' ' + units[u];
}

function credits(n) { return Number(n).toLocaleString('en-US'); }

function roleTags(roles) {
  const span = el('span', {'data-roles': roles.join(',')});
  if (roles.length === 0) span.append(el('span', {'class': 'muted'}, '—'));
  for (const r of roles) span.append(el('span', {'class': 'role', 'data-role': r}, r));
  return span;
}

function fillTable(id, rows) {
  const body = $(id).tBodies[0];
  body.replaceChildren(...rows);
}

// A bar chart in an inline SVG: one bar per point, its value in a tooltip and in data-value.
function barChart(svg, points, label) {
  const W = 640, H = 140, top = 10, bottom = 20;
  svg.replaceChildren();
  const axis = document.createElementNS(SVG, 'line');
  svg.append(axis);
  for (const [k, v] of Object.entries({x1: 0, y1: H - bottom, x2: W, y2: H - bottom, 'class': 'axis'})) axis.setAttribute(k, v);
  if (points.length === 0) {
    const t = document.createElementNS(SVG, 'text');
    t.setAttribute('x', 8); t.setAttribute('y', H / 2);
    t.textContent = 'no settled epoch yet';
    svg.append(t);
    return;
  }
  const max = Math.max(1, ...points.map(p => p.value));
  const slot = W / points.length;
  const width = Math.max(2, Math.min(48, slot * 0.7));
  points.forEach((p, i) => {
    const h = (H - top - bottom) * p.value / max;
    const bar = document.createElementNS(SVG, 'rect');
    bar.setAttribute('class', 'bar');
    bar.setAttribute('x', (i * slot + (slot - width) / 2).toFixed(1));
    bar.setAttribute('y', (H - bottom - h).toFixed(1));
    bar.setAttribute('width', width.toFixed(1));
    bar.setAttribute('height', Math.max(0, h).toFixed(1));
    bar.setAttribute('data-epoch', p.epoch);
    bar.setAttribute('data-value', p.value);
    const title = document.createElementNS(SVG, 'title');
    title.textContent = 'epoch ' + p.epoch + ': ' + credits(p.value) + ' ' + label;
    bar.append(title);
    svg.append(bar);
    if (points.length <= 16 || i % Math.ceil(points.length / 16) === 0) {
      const t = document.createElementNS(SVG, 'text');
      t.setAttribute('x', (i * slot + slot / 2 - 4).toFixed(1));
      t.setAttribute('y', H - 6);
      t.textContent = String(p.epoch);
      svg.append(t);
    }
  });
}

function renderStatus(s) {
  text('short-id', s.shortId);
  text('peer-id', s.peerId);
  $('roles').replaceChildren(roleTags(s.roles));
  const n = s.network;
  text('network', n.id + ' · epoch ' + n.currentEpoch + ' · ' + n.validators.length + ' validator(s)');
  text('peer-count', s.peers.count);
  const st = s.storage;
  text('disk', bytes(st.diskUsedBytes) + (st.serving ? ' / ' + bytes(st.capacityBytes) : ''));
  $('disk').setAttribute('data-used', st.diskUsedBytes === null ? '' : st.diskUsedBytes);
  $('disk').setAttribute('data-offered', st.capacityBytes === null ? '' : st.capacityBytes);
  const ratio = st.serving && st.capacityBytes > 0 ? Math.min(1, (st.diskUsedBytes || 0) / st.capacityBytes) : 0;
  $('disk-meter').style.width = (ratio * 100).toFixed(1) + '%';
  text('committed', st.serving ? bytes(st.committedBytes) + ' committed to deals' : 'no storage role');
  text('deals-held', st.held.count);
  $('deals-held').setAttribute('data-bytes', st.held.bytes);
  const owned = Object.entries(st.owned.byState).map(([k, v]) => v + ' ' + k).join(', ');
  text('deals-owned', bytes(st.held.bytes) + ' held · ' + st.owned.count + ' owned' + (owned ? ' (' + owned + ')' : ''));
  if (s.compute) {
    text('jobs-served', s.compute.jobs.served);
    text('models', s.compute.models.map(m => m.name + ' ' + m.state).join(', ') + ' · ' + s.compute.jobs.tokens + ' tokens');
  } else {
    text('jobs-served', '–');
    text('models', 'no compute role');
  }

  fillTable('peers-table', s.peers.list.map(p => el('tr', {'data-testid': 'peer-row', 'data-peer-id': p.peerId, 'data-roles': p.roles.join(',')},
    el('td', {'class': 'mono', 'title': p.peerId}, p.shortId), el('td', {}, roleTags(p.roles)), el('td', {'class': 'mono'}, p.addr),
    el('td', {}, p.direction))));

  fillTable('proofs-table', st.proofs.slice().reverse().map(p => el('tr', {'data-testid': 'proof-row', 'data-epoch': p.epoch},
    el('td', {'class': 'num'}, p.epoch), el('td', {'class': 'num', 'data-testid': 'proofs-passed'}, p.answered),
    el('td', {'class': 'num', 'data-testid': 'proofs-failed'}, p.refused))));
  if (st.proofs.length === 0) {
    fillTable('proofs-table', [el('tr', {}, el('td', {'colspan': 3, 'class': 'muted'}, st.serving ? 'not challenged yet' : 'no storage role'))]);
  }

  const earnings = s.earnings.perEpoch.map(e => ({epoch: e.epoch, value: e.amount + e.validatorFees}));
  barChart($('earnings-chart'), earnings, 'micro-credits');
  text('earnings-total', s.settlement.source === 'none' ? '(no validator set: nothing is settled)'
    : credits(s.earnings.total + s.earnings.validatorFeesTotal) + ' micro-credits over the last ' + earnings.length + ' settled epoch(s)');

  const events = $('events');
  events.replaceChildren(...s.events.slice().reverse().map(e => el('li', {'data-testid': 'event'},
    el('time', {'datetime': e.time}, e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z')), e.line)));
  if (s.events.length === 0) events.replaceChildren(el('li', {'class': 'muted'}, 'nothing logged yet'));
  text('status-line', s.roles.length ? s.roles.join(', ') : 'no roles');
}

function renderNetwork(w) {
  text('node-count', w.nodeCount);
  text('role-counts', Object.entries(w.roles).map(([r, n]) => n + ' ' + r).join(' · '));
  text('network-capacity', bytes(w.capacity.capacityBytes));
  $('network-capacity').setAttribute('data-bytes', w.capacity.capacityBytes);
  text('network-committed', bytes(w.capacity.committedBytes) + ' committed on ' + w.capacity.storageNodes + ' storage node(s)');
  text('deal-count', w.deals.count);
  text('replicas-active', w.deals.replicas.ACTIVE || 0);
  text('replicas-lost', w.deals.replicas.LOST || 0);
  text('epochs-settled', w.epochs.settled);
  text('current-epoch', 'epoch ' + w.epochs.current + ' running' + (w.epochs.lastSettled === null ? '' : ', last settled ' + w.epochs.lastSettled));

  barChart($('payouts-chart'), w.epochs.payouts.map(p => ({epoch: p.epoch, value: p.paid})), 'micro-credits paid');

  fillTable('nodes-table', w.nodes.map(n => el('tr', {'data-testid': 'node-row', 'data-peer-id': n.peerId, 'data-roles': n.roles.join(','),
      'data-self': n.self},
    el('td', {'class': 'mono', 'title': n.peerId}, n.shortId + (n.self ? ' (this node)' : '')), el('td', {}, roleTags(n.roles)),
    el('td', {'class': 'num'}, n.capacityBytes === null ? '–' : bytes(n.capacityBytes)),
    el('td', {'class': 'num'}, n.committedBytes === null ? '–' : bytes(n.committedBytes)))));

  fillTable('deals-table', w.deals.list.map(d => el('tr', {'data-testid': 'deal-row', 'data-deal-id': d.id, 'data-root': d.root,
      'data-state': d.state, 'data-active': d.active},
    el('td', {'class': 'mono'}, d.root), el('td', {'class': 'num'}, bytes(d.size)), el('td', {'class': 'state-' + d.state}, d.state),
    el('td', {'class': 'num'}, d.active + '/' + d.replicas + (d.lost ? ' (' + d.lost + ' lost)' : '')),
    el('td', {'class': 'mono'}, d.holders.join(' ')), el('td', {}, d.end.replace('T', ' ').replace(/\.\d+Z$/, 'Z')))));
  if (w.deals.list.length === 0) {
    fillTable('deals-table', [el('tr', {}, el('td', {'colspan': 6, 'class': 'muted'}, 'this node owns no deal'))]);
  }

  fillTable('epochs-table', w.epochs.records.slice().reverse().map(r => el('tr', {'data-testid': 'epoch-row', 'data-epoch': r.epoch,
      'data-hash': r.hash},
    el('td', {'class': 'num'}, r.epoch), el('td', {'class': 'mono', 'data-testid': 'record-hash', 'title': r.hash}, r.hash.slice(0, 16) + '…'),
    el('td', {'class': 'num'}, credits(r.paid)), el('td', {'class': 'num'}, credits(r.fees)), el('td', {'class': 'num'}, r.payouts),
    el('td', {'class': 'num'}, r.signers.length))));
}

async function getJson(path) {
  const response = await fetch(path, {cache: 'no-store'});
  if (!response.ok) throw new Error(path + ': HTTP ' + response.status + ' ' + (await response.text()).trim());
  return response.json();
}

async function poll() {
  try {
    const [status, network] = await Promise.all([getJson('/status.json'), getJson('/network.json')]);
    renderStatus(status);
    renderNetwork(network);
    $('status-error').hidden = true;
    document.body.setAttribute('data-updated', status.now);
  } catch (e) {
    $('status-error').hidden = false;
    $('status-error').textContent = ' · ' + e.message;
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

poll();

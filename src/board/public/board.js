// The supervisor's board (docs/board.md). Plain browser JavaScript, no framework, no build step.
// It talks only to the public /v1 API, keeps the token in this tab (sessionStorage) and never puts it in a URL:
// the event streams are opened with single-use stream tickets. Every text from the API goes in with textContent.
'use strict'

const TOKEN_KEY = 'hotline.board.token'
const LANG_KEY = 'hotline.board.lang'
const SVG_NS = 'http://www.w3.org/2000/svg'
const DAY_MS = 86_400_000

const TEXT = {
  en: {
    title: 'Hotline board', signInTitle: 'Sign in', signInHelp: 'Paste your Hotline token. It stays in this tab only.',
    token: 'Token', signIn: 'Sign in', signOut: 'Sign out', switchTo: '中文', switchLabel: 'Switch language to Chinese',
    today: 'Today', onTheSpotRate: 'Resolved on the spot', withinDeadlineRate: 'Within the promise', escalationRate: 'Escalated',
    satisfactionAvg: 'Satisfaction (1-5)', escalations: 'Escalations to take', reference: 'Reference', level: 'Level',
    reason: 'Reason', category: 'Category', customer: 'Customer', ackLeft: 'Time to acknowledge', action: 'Action',
    acknowledge: 'Acknowledge', takenByYou: 'Taken by you', noEscalations: 'Nothing waiting.',
    teamAtRisk: 'Promises at risk in my teams', extensions: 'Extension requests waiting', noneAtRisk: 'No promise at risk.',
    noExtensions: 'No request waiting.', byCategory: 'Complaints by category, last 30 days',
    trend: 'Last 30 days: received and resolved on the spot', myAtRisk: 'My promises at risk', followUps: 'Follow-up calls due',
    noFollowUps: 'No call due.', received: 'Received', onTheSpot: 'Resolved on the spot', cumulative: 'Cumulative share',
    noData: 'No complaints in this period.', live: 'Live', offline: 'Reconnecting…', due: 'due', left: 'left', warned: 'warned',
    overdue: 'overdue', until: 'until', signedInAs: (name, role) => `${name} (${role === 'supervisor' ? 'supervisor' : 'agent'})`,
    timesIn: (tz) => `times in ${tz}`, badToken: 'That token was not accepted.', wrongRole: 'This board is for agents and supervisors.',
    expired: 'Your session ended: sign in again.', newEscalation: (ref) => `New escalation ${ref}`,
    takenElsewhere: 'Someone else took it first.', failed: 'Something went wrong; try again.', attempts: (n) => `${n} attempts made`,
    reasons: { deadline_missed: 'promise missed', not_acknowledged: 'not acknowledged in time', not_triaged: 'not triaged in time', reopened: 'reopened', follow_up_unsatisfied: 'customer unsatisfied' },
  },
  'zh-CN': {
    title: '热线看板', signInTitle: '登录', signInHelp: '粘贴您的热线令牌。令牌只保存在此标签页中。',
    token: '令牌', signIn: '登录', signOut: '退出', switchTo: 'English', switchLabel: 'Switch language to English',
    today: '今日', onTheSpotRate: '当场解决率', withinDeadlineRate: '按时兑现率', escalationRate: '升级率',
    satisfactionAvg: '满意度（1-5）', escalations: '待接手的升级工单', reference: '编号', level: '级别',
    reason: '原因', category: '类别', customer: '客户', ackLeft: '确认剩余时间', action: '操作',
    acknowledge: '接手', takenByYou: '已由您接手', noEscalations: '暂无待办。',
    teamAtRisk: '我的团队中即将违约的承诺', extensions: '待审批的延期申请', noneAtRisk: '暂无即将违约的承诺。',
    noExtensions: '暂无待审批的申请。', byCategory: '近 30 天投诉类别分布',
    trend: '近 30 天：受理量与当场解决量', myAtRisk: '我的即将违约的承诺', followUps: '到期的回访电话',
    noFollowUps: '暂无到期回访。', received: '受理', onTheSpot: '当场解决', cumulative: '累计占比',
    noData: '此期间没有投诉。', live: '实时', offline: '正在重新连接…', due: '到期', left: '剩余', warned: '已预警',
    overdue: '已超时', until: '延至', signedInAs: (name, role) => `${name}（${role === 'supervisor' ? '主管' : '坐席'}）`,
    timesIn: (tz) => `时区 ${tz}`, badToken: '令牌无效。', wrongRole: '此看板仅供坐席和主管使用。',
    expired: '会话已结束，请重新登录。', newEscalation: (ref) => `新的升级工单 ${ref}`,
    takenElsewhere: '已被其他人接手。', failed: '出错了，请重试。', attempts: (n) => `已拨打 ${n} 次`,
    reasons: { deadline_missed: '承诺超时', not_acknowledged: '未及时确认', not_triaged: '未及时分拣', reopened: '重新打开', follow_up_unsatisfied: '客户不满意' },
  },
}

/** Events the escalation stream may send (the machine's notify effects); each names a complaint to look at again. */
const ESCALATION_EVENTS = [
  'complaint.escalated', 'escalation.assigned', 'escalation.acknowledged', 'deadline.warning', 'complaint.resolved',
  'complaint.closed', 'complaint.assigned', 'complaint.transferred', 'complaint.sent_back', 'complaint.duplicate_absorbed',
  'complaint.awaiting_customer', 'complaint.resumed', 'follow_up.recorded', 'promise.extended',
]
/** The agent's own feed (src/live/feed.ts). */
const FEED_EVENTS = [
  'deadline.warning', 'deadline.response_missed', 'escalation.assigned', 'follow_up.due', 'promise.extension_requested',
  'promise.extended', 'promise.extension_refused',
]

const state = {
  token: null,
  me: null,
  lang: 'en',
  tz: 'UTC',
  /** Open escalations on the board, by complaint id. */
  escalations: new Map(),
  /** Escalations taken from this page: they stay, shown taken. */
  taken: new Set(),
  streams: [],
  tick: null,
  pending: new Map(),
}

const $ = (id) => document.getElementById(id)
const words = () => TEXT[state.lang]
const say = (key) => words()[key]

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `HTTP ${status}`)
    this.status = status
    this.problem = problem ?? {}
  }
}

/** One /v1 call with the bearer token; a 401 ends the session. */
async function api(method, path, body) {
  const headers = { authorization: `Bearer ${state.token}`, accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'omit' })
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}))
    if (response.status === 401 && state.me) signOut(say('expired'))
    throw new ApiError(response.status, problem)
  }
  return response.json()
}

/** An element with attributes and children; text children become text nodes (never parsed as HTML). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue
    if (name === 'class') node.className = value
    else node.setAttribute(name, value === true ? '' : String(value))
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? '')))
  return node
}

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG_NS, tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value))
  if (text !== undefined) node.textContent = String(text)
  return node
}

function status(text) {
  $('status').textContent = text
}

// --- Time, in the policy's calendar zone ---------------------------------------------------------------------------

function formatTime(iso) {
  if (!iso) return ''
  return new Intl.DateTimeFormat(state.lang === 'zh-CN' ? 'zh-CN' : 'en-GB', {
    timeZone: state.tz, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).format(new Date(iso))
}

/** The calendar date (YYYY-MM-DD) in the policy's zone, `days` after today. */
function dateIn(days = 0) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: state.tz, year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(new Date()).map((p) => [p.type, p.value]))
  return new Date(Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day)) + days * DAY_MS).toISOString().slice(0, 10)
}

function clock(ms) {
  const seconds = Math.floor(Math.abs(ms) / 1000)
  const h = Math.floor(seconds / 3600)
  const m = String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')
  const s = String(seconds % 60).padStart(2, '0')
  return h > 0 ? `${h}:${m}:${s}` : `${m}:${s}`
}

/** ISO 8601 `PT3H20M` as `3h 20m` (the API's remaining business time). */
function readableDuration(iso) {
  const match = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(iso ?? '')
  if (!match) return iso ?? ''
  const [, h, m, s] = match
  const parts = [h && `${h}h`, m && `${m}m`, !h && !m && s && `${s}s`].filter(Boolean)
  return parts.length ? parts.join(' ') : '0m'
}

// --- Sign in and out -------------------------------------------------------------------------------------------

async function signIn(token) {
  $('signin-error').textContent = ''
  state.token = token
  let me
  try {
    me = await api('GET', '/v1/me')
  } catch (error) {
    state.token = null
    sessionStorage.removeItem(TOKEN_KEY)
    $('signin-error').textContent = error.status === 401 ? say('badToken') : say('failed')
    return
  }
  if (me.role !== 'agent' && me.role !== 'supervisor') {
    state.token = null
    sessionStorage.removeItem(TOKEN_KEY)
    $('signin-error').textContent = say('wrongRole')
    return
  }
  sessionStorage.setItem(TOKEN_KEY, token)
  $('token').value = ''
  state.me = me
  state.tz = me.timezone
  $('signin').hidden = true
  $('sign-out').hidden = false
  showWho()
  if (me.role === 'supervisor') {
    $('supervisor').hidden = false
    openStream('/v1/escalations/stream', ESCALATION_EVENTS, onEscalationEvent, loadSupervisor)
    openStream('/v1/me/stream', FEED_EVENTS, onSupervisorFeed, () => {})
    state.tick = setInterval(tickCountdowns, 1000)
  } else {
    $('agent').hidden = false
    openStream('/v1/me/stream', FEED_EVENTS, () => later('agent', loadAgent), loadAgent)
  }
}

function signOut(message) {
  for (const stream of state.streams) stream.close()
  state.streams = []
  clearInterval(state.tick)
  for (const timer of state.pending.values()) clearTimeout(timer)
  state.pending.clear()
  sessionStorage.removeItem(TOKEN_KEY)
  Object.assign(state, { token: null, me: null, tz: 'UTC' })
  state.escalations.clear()
  state.taken.clear()
  $('escalation-rows').replaceChildren()
  for (const id of ['supervisor', 'agent', 'sign-out', 'live']) $(id).hidden = true
  $('signin').hidden = false
  $('who').textContent = ''
  $('signin-error').textContent = message ?? ''
  status('')
}

function showWho() {
  if (!state.me) return
  $('who').textContent = `${words().signedInAs(state.me.name, state.me.role)} · ${words().timesIn(state.tz)}`
}

// --- Streams ---------------------------------------------------------------------------------------------------

/**
 * An event stream opened with a fresh ticket each time: on any error it closes and opens again with a new ticket
 * (the browser's own reconnection would present the spent one). Every (re)open reloads what it shows, so nothing
 * missed while away stays missing.
 */
function openStream(path, types, onEvent, onOpen) {
  let source
  let closed = false
  let failures = 0
  const stream = {
    close() {
      closed = true
      source?.close()
    },
  }
  const connect = async () => {
    if (closed) return
    let ticket
    try {
      ;({ ticket } = await api('POST', '/v1/stream-tickets'))
    } catch {
      retry()
      return
    }
    if (closed) return
    source = new EventSource(`${path}?ticket=${encodeURIComponent(ticket)}`)
    source.onopen = () => {
      failures = 0
      setLive(true)
      Promise.resolve(onOpen()).catch(() => status(say('failed')))
    }
    for (const type of types) {
      source.addEventListener(type, (event) => {
        let data
        try {
          data = JSON.parse(event.data)
        } catch {
          return
        }
        onEvent(type, data)
      })
    }
    source.onerror = () => {
      source.close()
      setLive(false)
      retry()
    }
  }
  const retry = () => {
    if (closed) return
    failures++
    setTimeout(connect, Math.min(30_000, 1000 * 2 ** Math.min(failures, 5)) + Math.random() * 500)
  }
  state.streams.push(stream)
  void connect()
}

function setLive(up) {
  const badge = $('live')
  badge.hidden = false
  badge.dataset.state = up ? 'live' : 'offline'
  badge.textContent = up ? say('live') : say('offline')
}

/** Runs `fn` once, a moment after the last of a burst of calls with the same key. */
function later(key, fn, ms = 400) {
  clearTimeout(state.pending.get(key))
  state.pending.set(key, setTimeout(() => {
    state.pending.delete(key)
    Promise.resolve(fn()).catch(() => {})
  }, ms))
}

// --- The supervisor's view -------------------------------------------------------------------------------------

async function loadSupervisor() {
  await Promise.all([loadEscalations(), loadTeamRisk(), loadExtensions(), loadFigures(), loadCharts()])
}

async function loadEscalations() {
  const { items } = await api('GET', '/v1/escalations?status=open&limit=200')
  const keep = new Map([...state.escalations].filter(([id]) => state.taken.has(id)))
  for (const complaint of items) if (mayTake(complaint)) keep.set(complaint.id, complaint)
  state.escalations = keep
  renderEscalations()
}

function mayTake(complaint) {
  return complaint.state === 'escalated' && complaint.escalation && !complaint.escalation.acknowledgedAt && complaint.actions.includes('acknowledge')
}

function onEscalationEvent(type, event) {
  if (event.complaintId && (event.state === 'escalated' || state.escalations.has(event.complaintId))) {
    void refreshEscalation(event.complaintId)
  }
  later('team-risk', loadTeamRisk)
  if (type === 'complaint.escalated' || type === 'complaint.resolved' || type === 'complaint.closed') later('figures', () => Promise.all([loadFigures(), loadCharts()]), 1500)
}

function onSupervisorFeed(type) {
  if (type.startsWith('promise.')) later('extensions', loadExtensions)
  else later('team-risk', loadTeamRisk)
}

async function refreshEscalation(id) {
  let complaint
  try {
    complaint = await api('GET', `/v1/complaints/${encodeURIComponent(id)}`)
  } catch (error) {
    if (error.status === 404) state.escalations.delete(id)
    renderEscalations()
    return
  }
  const known = state.escalations.has(id)
  const mine = complaint.escalation?.acknowledgedAt && complaint.escalation.assigneeId === state.me?.id
  if (mayTake(complaint)) {
    state.escalations.set(id, complaint)
    if (!known) status(words().newEscalation(complaint.reference))
  } else if (known && mine && complaint.state === 'escalated') {
    state.taken.add(id)
    state.escalations.set(id, complaint)
  } else {
    state.escalations.delete(id)
    state.taken.delete(id)
  }
  renderEscalations(known ? undefined : id)
}

async function acknowledge(id, button) {
  button.disabled = true
  try {
    const complaint = await api('POST', `/v1/complaints/${encodeURIComponent(id)}/acknowledge`, {})
    state.taken.add(id)
    state.escalations.set(id, complaint)
  } catch (error) {
    if (error.status === 409 || error.status === 403) {
      status(say('takenElsewhere'))
      state.escalations.delete(id)
    } else {
      status(say('failed'))
      button.disabled = false
      return
    }
  }
  renderEscalations()
}

/** The most urgent first: the highest level, the acknowledgement due soonest, the oldest (as GET /v1/escalations). */
function byUrgency(a, b) {
  const [ea, eb] = [a.escalation, b.escalation]
  if (ea.level !== eb.level) return eb.level - ea.level
  const [da, db] = [ea.ackDueAt ? Date.parse(ea.ackDueAt) : Infinity, eb.ackDueAt ? Date.parse(eb.ackDueAt) : Infinity]
  if (da !== db) return da - db
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1
  return a.id < b.id ? -1 : 1
}

function reasonText(reason) {
  return words().reasons[reason] ?? reason ?? ''
}

function escalationRow(complaint, fresh) {
  const taken = state.taken.has(complaint.id)
  const cell = (key, content, attributes = {}) => el('td', { 'data-label': say(key), ...attributes }, content)
  const action = taken
    ? el('span', { class: 'taken' }, say('takenByYou'))
    : el('button', { type: 'button', 'data-action': 'acknowledge' }, say('acknowledge'))
  if (!taken) action.addEventListener('click', () => acknowledge(complaint.id, action))
  return el('tr', { 'data-escalation-id': complaint.id, 'data-taken': taken, class: fresh ? 'fresh' : undefined },
    cell('reference', complaint.reference),
    cell('level', String(complaint.escalation.level)),
    cell('reason', reasonText(complaint.escalation.reason)),
    cell('category', complaint.category),
    cell('customer', complaint.customer?.name ?? ''),
    cell('ackLeft', taken ? '' : countdownText(complaint.escalation.ackDueAt),
      { class: 'countdown', 'data-due': taken ? undefined : complaint.escalation.ackDueAt, 'data-late': !taken && isLate(complaint.escalation.ackDueAt) }),
    el('td', { 'data-label': say('action') }, action))
}

function isLate(due) {
  return Boolean(due) && Date.parse(due) <= Date.now()
}

function countdownText(due) {
  if (!due) return ''
  const left = Date.parse(due) - Date.now()
  return left > 0 ? clock(left) : `${say('overdue')} ${clock(left)}`
}

function renderEscalations(freshId) {
  const rows = [...state.escalations.values()].sort(byUrgency).map((c) => escalationRow(c, c.id === freshId))
  $('escalation-rows').replaceChildren(...rows)
  $('escalations-empty').hidden = rows.length > 0
}

function tickCountdowns() {
  for (const cell of document.querySelectorAll('td.countdown[data-due]')) {
    cell.textContent = countdownText(cell.dataset.due)
    cell.toggleAttribute('data-late', isLate(cell.dataset.due))
  }
}

function riskItem(item) {
  const complaint = item.complaint
  return el('li', { 'data-complaint-id': complaint.id },
    el('span', { class: 'ref' }, complaint.reference),
    el('span', {}, complaint.category),
    el('span', {}, complaint.customer?.name ?? ''),
    el('span', { class: 'when' }, `${say('due')} ${formatTime(item.dueAt)} · ${say('left')} ${readableDuration(item.remaining)}`),
    item.warned ? el('span', { class: 'warned' }, say('warned')) : '')
}

function renderList(listId, items, render) {
  $(listId).replaceChildren(...items.map(render))
  $(`${listId}-empty`).hidden = items.length > 0
}

async function loadTeamRisk() {
  const { items } = await api('GET', '/v1/me/at-risk?scope=teams&limit=50')
  renderList('team-risk', items, riskItem)
}

async function loadExtensions() {
  const { items } = await api('GET', '/v1/extension-requests?status=pending&limit=50')
  // Waiting for this supervisor: anyone's but their own.
  renderList('extensions', items.filter((c) => c.extension?.requestedBy !== state.me?.id), (complaint) =>
    el('li', { 'data-complaint-id': complaint.id },
      el('span', { class: 'ref' }, complaint.reference),
      el('span', {}, complaint.category),
      el('span', { class: 'when' }, `${formatTime(complaint.promisedBy)} → ${say('until')} ${formatTime(complaint.extension.until)}`),
      el('span', {}, complaint.extension.reason ?? '')))
}

// --- Figures and charts ----------------------------------------------------------------------------------------

const summary = (from, to, groupBy) =>
  api('GET', `/v1/reports/summary?from=${from}&to=${to}&tz=${encodeURIComponent(state.tz)}${groupBy ? `&groupBy=${groupBy}` : ''}`)

async function loadFigures() {
  const { total } = await summary(dateIn(0), dateIn(1))
  const format = {
    onTheSpotRate: percent, withinDeadlineRate: percent, escalationRate: percent,
    satisfactionAvg: (v) => (v === null ? '–' : v.toFixed(1)),
  }
  for (const [figure, show] of Object.entries(format)) {
    const tile = document.querySelector(`[data-figure="${figure}"] .tile-value`)
    tile.textContent = show(total[figure])
  }
}

function percent(value) {
  return value === null ? '–' : `${Math.round(value * 100)}%`
}

async function loadCharts() {
  const from = dateIn(-29)
  const to = dateIn(1)
  const [byCategory, byDay] = await Promise.all([summary(from, to, 'category'), summary(from, to, 'day')])
  drawPareto(document.querySelector('svg[data-chart="categories"]'), byCategory.groups)
  const days = Array.from({ length: 30 }, (_, i) => dateIn(i - 29))
  const byKey = new Map(byDay.groups.map((g) => [g.key, g]))
  drawTrend(document.querySelector('svg[data-chart="trend"]'), days.map((day) => ({ day, received: byKey.get(day)?.received ?? 0, onTheSpot: byKey.get(day)?.resolvedOnTheSpot ?? 0 })))
}

const PLOT = { left: 44, right: 44, top: 28, bottom: 56, width: 600, height: 300 }

function niceMax(value) {
  if (value <= 5) return 5
  const step = 10 ** Math.floor(Math.log10(value))
  return Math.ceil(value / step) * step
}

function axes(chart, max, rightPercent) {
  const { left, right, top, bottom, width, height } = PLOT
  const y = (v) => height - bottom - (v / max) * (height - top - bottom)
  chart.append(svg('line', { class: 'axis', x1: left, y1: height - bottom, x2: width - right, y2: height - bottom }))
  for (const v of [0, max / 2, max]) {
    chart.append(svg('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end' }, Number.isInteger(v) ? v : v.toFixed(1)))
  }
  if (rightPercent) {
    for (const p of [0, 50, 100]) chart.append(svg('text', { x: width - right + 6, y: height - bottom - (p / 100) * (height - top - bottom) + 4 }, `${p}%`))
  }
  return y
}

/** Bars by category, most first, with the cumulative share as a line (Pareto). */
function drawPareto(chart, groups) {
  chart.replaceChildren()
  const rows = groups.map((g) => ({ key: g.key ?? '—', value: g.received })).sort((a, b) => b.value - a.value || (a.key < b.key ? -1 : 1))
  const top = rows.slice(0, 9)
  const rest = rows.slice(9).reduce((n, r) => n + r.value, 0)
  if (rest > 0) top.push({ key: '…', value: rest })
  chart.append(svg('title', {}, say('byCategory')))
  if (top.length === 0) {
    chart.append(svg('text', { x: 300, y: 150, 'text-anchor': 'middle' }, say('noData')))
    return
  }
  const total = top.reduce((n, r) => n + r.value, 0)
  const max = niceMax(top[0].value)
  const y = axes(chart, max, true)
  const { left, right, top: pad, bottom, width, height } = PLOT
  const slot = (width - left - right) / top.length
  let running = 0
  const points = []
  top.forEach((row, i) => {
    const x = left + i * slot
    const bar = svg('rect', { class: 'bar', x: x + slot * 0.15, y: y(row.value), width: slot * 0.7, height: Math.max(0, height - bottom - y(row.value)), 'data-key': row.key, 'data-value': row.value })
    bar.append(svg('title', {}, `${row.key}: ${row.value}`))
    chart.append(bar)
    const label = row.key.length > 10 ? `${row.key.slice(0, 9)}…` : row.key
    chart.append(svg('text', { x: x + slot / 2, y: height - bottom + 16, 'text-anchor': 'middle' }, label))
    running += row.value
    points.push(`${x + slot / 2},${height - bottom - (running / total) * (height - pad - bottom)}`)
  })
  chart.append(svg('polyline', { class: 'cumulative', points: points.join(' ') }))
  legend(chart, [[say('received'), 'bar'], [say('cumulative'), 'bar2']])
}

/** The last 30 days: complaints received (bars) and resolved on the spot (line). */
function drawTrend(chart, days) {
  chart.replaceChildren()
  chart.append(svg('title', {}, say('trend')))
  const max = niceMax(Math.max(1, ...days.map((d) => d.received)))
  const y = axes(chart, max, false)
  const { left, right, bottom, width, height } = PLOT
  const slot = (width - left - right) / days.length
  const points = []
  days.forEach((day, i) => {
    const x = left + i * slot
    const bar = svg('rect', { class: 'bar', x: x + slot * 0.15, y: y(day.received), width: slot * 0.7, height: Math.max(0, height - bottom - y(day.received)), 'data-day': day.day, 'data-value': day.received })
    bar.append(svg('title', {}, `${day.day}: ${say('received')} ${day.received}, ${say('onTheSpot')} ${day.onTheSpot}`))
    chart.append(bar)
    points.push(`${x + slot / 2},${y(day.onTheSpot)}`)
    if (i % 5 === 4 || i === days.length - 1) chart.append(svg('text', { x: x + slot / 2, y: height - bottom + 16, 'text-anchor': 'middle' }, day.day.slice(5)))
  })
  chart.append(svg('polyline', { class: 'series2', points: points.join(' '), 'data-series': 'onTheSpot' }))
  legend(chart, [[say('received'), 'bar'], [say('onTheSpot'), 'bar2']])
}

function legend(chart, entries) {
  let x = PLOT.left
  for (const [label, kind] of entries) {
    chart.append(svg('rect', { class: kind, x, y: 8, width: 12, height: 12 }))
    chart.append(svg('text', { class: 'legend', x: x + 16, y: 18 }, label))
    // The label's width, roughly: a CJK character is about twice a Latin one at this size.
    x += 28 + [...label].reduce((w, c) => w + (/[\u2e80-\uffff]/.test(c) ? 13 : 7.5), 0)
  }
}

// --- The agent's view ------------------------------------------------------------------------------------------

async function loadAgent() {
  const [risk, calls] = await Promise.all([
    api('GET', '/v1/me/at-risk?limit=50'),
    api('GET', '/v1/follow-ups?status=due&assigneeId=me&limit=50'),
  ])
  renderList('my-risk', risk.items, riskItem)
  renderList('follow-ups', calls.items, (complaint) =>
    el('li', { 'data-complaint-id': complaint.id },
      el('span', { class: 'ref' }, complaint.reference),
      el('span', {}, complaint.customer?.name ?? ''),
      el('span', {}, complaint.category),
      el('span', { class: 'when' }, `${say('due')} ${formatTime(complaint.followUp?.dueAt)}`),
      el('span', {}, words().attempts(complaint.followUp?.attempts ?? 0))))
}

// --- Language ----------------------------------------------------------------------------------------------------

function applyLanguage(lang) {
  state.lang = lang
  document.documentElement.lang = lang
  status('')
  document.title = say('title')
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = say(node.dataset.i18n)
  const button = $('lang')
  button.textContent = say('switchTo')
  button.lang = lang === 'en' ? 'zh-CN' : 'en'
  button.setAttribute('aria-label', say('switchLabel'))
  showWho()
  if (state.me?.role === 'supervisor') {
    renderEscalations()
    later('redraw', loadSupervisor, 0)
  } else if (state.me) {
    later('redraw', loadAgent, 0)
  }
  if (!$('live').hidden) setLive($('live').dataset.state === 'live')
}

function start() {
  const saved = localStorage.getItem(LANG_KEY)
  const browser = (navigator.languages?.[0] ?? navigator.language ?? 'en').toLowerCase()
  applyLanguage(saved === 'en' || saved === 'zh-CN' ? saved : browser.startsWith('zh') ? 'zh-CN' : 'en')
  $('lang').addEventListener('click', () => {
    const next = state.lang === 'en' ? 'zh-CN' : 'en'
    localStorage.setItem(LANG_KEY, next)
    applyLanguage(next)
  })
  const submit = () => {
    const token = $('token').value.trim()
    if (token) void signIn(token)
  }
  $('sign-in').addEventListener('click', submit)
  $('token').addEventListener('keydown', (event) => {
    if (event.key === 'Enter') submit()
  })
  $('sign-out').addEventListener('click', () => signOut())
  const token = sessionStorage.getItem(TOKEN_KEY)
  if (token) void signIn(token)
}

start()

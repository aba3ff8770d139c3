// The board in a real browser: Debian's Chromium (/usr/bin/chromium, installed by .ci/run when missing) driven by
// playwright-core, against the real app on a loopback port, Postgres, Redis and the timer workers. Everything the test
// sets up goes through the /v1 API; it waits for conditions, never for a fixed time.
import { mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import t from 'tap'
import { BOARD_CSP } from '../../src/board/board.routes.js'
import { aComplaint, setupApp, type TestUser } from '../helpers/app.js'
import { startTestWorker } from '../helpers/worker.js'

// What page.evaluate runs, runs in the browser: its globals, typed as far as this test uses them (no DOM lib here).
declare const document: { documentElement: { scrollWidth: number; lang: string }; querySelector(selector: string): { textContent: string | null } | null }
declare const window: { innerWidth: number }
declare const sessionStorage: { getItem(key: string): string | null }
declare const localStorage: Record<string, string>

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
// As this machine runs Chromium: no sandbox as root, nothing fetched from outside (docs/board.md).
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync']
const ARTIFACTS = path.resolve(import.meta.dirname, '../artifacts')
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
const ZONE = 'Asia/Shanghai'

interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }

/** axe-core, injected into the page from node_modules only here (the board never serves it), and its serious findings. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE)
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<{ violations: unknown[] }> } }).axe
    return (await axe.run(document, { resultTypes: ['violations'] })).violations
  }) as AxeViolation[]
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`)
}

/** Nothing wider than the window: no sideways scrolling. */
const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)

/** Hours and minutes of an instant on the policy's wall clock (what the board must show). */
const wallClock = (iso: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso))

t.test('the board: a supervisor sees escalations arrive live and takes one; an agent sees their own', async (t) => {
  const testApp = await setupApp(t)
  const { app, call, user, admin } = testApp
  const policy = (await call('GET', '/v1/sla-policies', admin)).json() as { calendar: Record<string, unknown> }
  const put = await call('PUT', '/v1/sla-policies', admin, { ...policy, calendar: { ...policy.calendar, timezone: ZONE } })
  t.equal(put.statusCode, 200, put.body)
  const lead = await user('supervisor', { level: 1, teams: ['east'], compensationLimit: 1000, name: 'Lena Lead' })
  const otherLead = await user('supervisor', { level: 1, teams: ['west'] })
  const agent = await user('agent', { teams: ['east'], compensationLimit: 100, name: 'Ann Agent' })
  const colleague = await user('agent', { teams: ['east'], compensationLimit: 100 })
  const worker = startTestWorker(t, testApp)
  const create = async (as: TestUser, overrides: Record<string, unknown>) => {
    const response = await call('POST', '/v1/complaints', as, aComplaint({ team: 'east', ...overrides }))
    t.equal(response.statusCode, 201, `complaint created (${response.statusCode === 201 ? 'ok' : response.body})`)
    return response.json() as { id: string; reference: string; promisedBy: string }
  }

  // Today's figures and the charts: one complaint resolved on the spot and rated 5, one open with an extension asked.
  const rated = await create(agent, { category: 'delivery' })
  await call('POST', `/v1/complaints/${rated.id}/resolve`, agent, { summary: 'replacement sent' })
  t.equal((await call('POST', `/v1/complaints/${rated.id}/follow-up`, colleague, { outcome: 'satisfied', satisfaction: 5 })).statusCode, 200)
  const open = await create(agent, { category: 'billing', customer: { name: '王芳', phone: '+86 139 0000 0001' } })
  const until = new Date(Date.parse(open.promisedBy) + 86_400_000).toISOString()
  t.equal((await call('POST', `/v1/complaints/${open.id}/request-extension`, agent, { until, reason: '等待配件' })).statusCode, 200)
  // A call the colleague resolved: its follow-up goes to the agent when it falls due (below, live on the agent's board).
  const call3 = await create(colleague, { category: 'delivery', customer: { name: 'Chen Jie', phone: '+86 139 0000 0002' } })
  await call('POST', `/v1/complaints/${call3.id}/resolve`, colleague, { summary: 'refund made' })

  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  mkdirSync(ARTIFACTS, { recursive: true })
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB' })
    const page = await context.newPage()
    const problems: string[] = []
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
    page.on('console', (message) => { if (message.type() === 'error') problems.push(`console: ${message.text()}`) })
    const urls: string[] = []
    page.on('request', (request) => urls.push(request.url()))

    const served = await page.goto(`${address}/board`)
    t.equal(served?.status(), 200)
    t.equal(served?.headers()['content-security-policy'], BOARD_CSP, 'a Content-Security-Policy: own script only, no inline')
    t.match(BOARD_CSP, /script-src 'self'(;|$)/)

    // Sign in as the supervisor.
    await page.fill('#token', lead.token)
    await page.click('#sign-in')
    for (const figure of ['onTheSpotRate', 'withinDeadlineRate', 'escalationRate', 'satisfactionAvg']) {
      await page.waitForFunction((f) => /\d/.test(document.querySelector(`[data-figure="${f}"]`)?.textContent ?? ''), figure)
    }
    t.match(await page.textContent('[data-figure="onTheSpotRate"]'), /100%/, 'resolved on the spot: both resolved today')
    t.match(await page.textContent('[data-figure="satisfactionAvg"]'), /5\.0/)
    await page.waitForSelector('svg[data-chart="categories"] rect.bar[data-key="delivery"]')
    t.same(await page.$$eval('svg[data-chart="categories"] rect.bar[data-key]', (bars) => bars.map((b) => [b.getAttribute('data-key'), b.getAttribute('data-value')])),
      [['delivery', '2'], ['billing', '1']], 'Pareto: categories by count, most first')
    t.ok(await page.$('svg[data-chart="categories"] polyline.cumulative'), 'with the cumulative line')
    t.equal((await page.$$('svg[data-chart="trend"] rect.bar[data-day]')).length, 30, 'the trend: 30 days')
    const days = await page.$$eval('svg[data-chart="trend"] rect.bar[data-day]', (bars) => bars.map((b) => Number(b.getAttribute('data-value'))))
    t.same(days.slice(-1), [3], 'today: 3 received')
    t.equal(days.reduce((a, b) => a + b, 0), 3, 'none before')
    t.equal((await page.getAttribute('svg[data-chart="trend"] polyline[data-series="onTheSpot"]', 'points'))?.split(' ').length, 30, 'resolved on the spot: a line over the 30 days')
    await page.waitForSelector(`#team-risk [data-complaint-id="${open.id}"]`)
    await page.waitForSelector(`#extensions [data-complaint-id="${open.id}"]`)
    t.match(await page.textContent(`#extensions [data-complaint-id="${open.id}"]`), /等待配件/)
    const risk = (await call('GET', '/v1/me/at-risk?scope=teams', lead)).json().items[0] as { dueAt: string }
    t.match(await page.textContent(`#team-risk [data-complaint-id="${open.id}"]`), wallClock(risk.dueAt), `times on the ${ZONE} wall clock`)

    // A new escalation arrives without a reload.
    const escalated = await create(agent, { category: 'refund', customer: { name: 'Zhao Lei', phone: '+86 139 0000 0003' } })
    t.equal((await call('POST', `/v1/complaints/${escalated.id}/escalate`, agent, { reason: 'refund above my limit' })).statusCode, 200)
    // Escalated and committed (routing follows, in the worker): from here, the board has 2 s.
    const sent = Date.now()
    const row = `[data-escalation-id="${escalated.id}"]`
    await page.waitForSelector(row, { timeout: 10_000 })
    const took = Date.now() - sent
    t.ok(took < 2_000, `on the board ${took} ms after it was escalated`)
    const text = await page.textContent(row)
    for (const part of [escalated.reference, 'refund above my limit', 'refund', 'Zhao Lei']) t.match(text, part, `the row shows ${part}`)
    t.equal(await page.textContent(`${row} td[data-label="Level"]`), '1')
    // PT30M of business time on the policy's calendar: counted from the escalation's ackDueAt, whenever that is.
    const { ackDueAt } = (await call('GET', `/v1/complaints/${escalated.id}`, lead)).json().escalation
    const countdown = (await page.textContent(`${row} td.countdown`))!
    t.match(countdown, /^(\d+:)?\d\d:\d\d$/, 'the time left to acknowledge')
    const shown = countdown.split(':').map(Number).reduce((total, part) => total * 60 + part, 0)
    t.ok(Math.abs(shown * 1000 - (Date.parse(ackDueAt) - Date.now())) < 5_000, `${countdown} is the time until ${ackDueAt}`)
    await page.waitForFunction(([selector, before]) => document.querySelector(selector)?.textContent !== before, [`${row} td.countdown`, countdown] as const)

    // Taken from the page: the row shows it, and the API agrees.
    await page.click(`${row} [data-action="acknowledge"]`)
    await page.waitForSelector(`${row}[data-taken]`)
    t.notOk(await page.$(`${row} [data-action="acknowledge"]`), 'no button once taken')
    const taken = (await call('GET', `/v1/complaints/${escalated.id}`, lead)).json()
    t.ok(taken.escalation.acknowledgedAt, 'the API says acknowledged')
    t.equal(taken.escalation.assigneeId, lead.id, 'by this supervisor')

    // One taken elsewhere leaves the board.
    const elsewhere = await create(agent, { category: 'refund' })
    await call('POST', `/v1/complaints/${elsewhere.id}/escalate`, agent, { reason: 'angry customer' })
    await page.waitForSelector(`[data-escalation-id="${elsewhere.id}"]`)
    t.equal((await call('POST', `/v1/complaints/${elsewhere.id}/acknowledge`, otherLead, {})).statusCode, 200)
    await page.waitForSelector(`[data-escalation-id="${elsewhere.id}"]`, { state: 'detached' })
    t.pass('taken elsewhere: gone from the board')

    // Chinese, by the switch; times stay on the policy's clock.
    await page.click('#lang')
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN')
    t.equal(await page.textContent('h1'), '热线看板')
    t.equal(await page.textContent(`${row} .taken`), '已由您接手')
    await page.waitForFunction((id) => /到期/.test(document.querySelector(`#team-risk [data-complaint-id="${id}"]`)?.textContent ?? ''), open.id)
    t.match(await page.textContent(`#team-risk [data-complaint-id="${open.id}"]`), wallClock(risk.dueAt))

    t.same(await seriousViolations(page), [], 'axe-core: no serious or critical violation (supervisor, 1280x800)')
    t.equal(await overflow(page), 0, 'no sideways scrolling at 1280x800')
    await page.screenshot({ path: path.join(ARTIFACTS, 'board-supervisor-1280x800.png'), fullPage: true })
    await page.setViewportSize({ width: 390, height: 844 })
    t.equal(await overflow(page), 0, 'no sideways scrolling at 390x844')
    t.same(await seriousViolations(page), [], 'axe-core: none on a phone either')
    await page.screenshot({ path: path.join(ARTIFACTS, 'board-supervisor-390x844.png'), fullPage: true })

    // The token stays in the tab: never in a URL, the streams opened with tickets.
    t.equal(await page.evaluate(() => sessionStorage.getItem('hotline.board.token')), lead.token)
    t.notOk(await page.evaluate(() => JSON.stringify(localStorage)).then((s) => s.includes(lead.token)), 'not in localStorage')
    t.notOk(urls.some((url) => url.includes(lead.token)), 'no request URL carries the token')
    const streams = urls.filter((url) => url.includes('/stream?'))
    t.ok(streams.some((url) => url.includes('/v1/escalations/stream?ticket=stk_')), 'the escalation stream opened with a ticket')
    t.ok(streams.some((url) => url.includes('/v1/me/stream?ticket=stk_')), 'and the feed')
    t.ok(urls.every((url) => url.startsWith(address)), 'everything from Hotline itself (no CDN)')
    t.same(problems, [], 'no script error, no CSP violation')
    await context.close()

    // An agent, whose browser speaks Chinese: their own promises and follow-up calls, no escalation queue.
    const agentContext = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' })
    const agentPage = await agentContext.newPage()
    agentPage.on('pageerror', (error) => problems.push(`agent page error: ${error.message}`))
    await agentPage.goto(`${address}/board`)
    t.equal(await agentPage.evaluate(() => document.documentElement.lang), 'zh-CN', 'the browser\'s language')
    await agentPage.fill('#token', agent.token)
    await agentPage.click('#sign-in')
    await agentPage.waitForSelector(`#my-risk [data-complaint-id="${open.id}"]`)
    await agentPage.waitForSelector('#live[data-state="live"]')
    t.ok(await agentPage.isHidden('#supervisor'), 'no supervisor view')
    t.equal((await agentPage.$$('[data-escalation-id]')).length, 0, 'no escalation queue')
    t.equal((await agentPage.$$('#follow-ups li')).length, 0, 'no call due yet')
    // The connection drops (the server cuts every socket, and goes on listening): the page opens its stream again
    // with a new ticket (the browser's own retry would present the spent one), and hears what follows.
    const tickets: string[] = []
    agentPage.on('request', (request) => { if (request.url().endsWith('/v1/stream-tickets')) tickets.push(request.url()) })
    app.server.closeAllConnections()
    await agentPage.waitForSelector('#live[data-state="offline"]')
    await agentPage.waitForSelector('#live[data-state="live"]', { timeout: 15_000 })
    t.ok(tickets.length >= 1, `reconnected with a new ticket (${tickets.length} asked)`)
    await worker.dueNow(call3.id, 'follow_up')
    await agentPage.waitForSelector(`#follow-ups [data-complaint-id="${call3.id}"]`, { timeout: 15_000 })
    t.match(await agentPage.textContent(`#follow-ups [data-complaint-id="${call3.id}"]`), 'Chen Jie', 'the call due arrives live')
    t.equal(await overflow(agentPage), 0, 'no sideways scrolling on the phone')
    t.same(await seriousViolations(agentPage), [], 'axe-core: none in the agent\'s view')
    await agentPage.screenshot({ path: path.join(ARTIFACTS, 'board-agent-390x844.png'), fullPage: true })
    t.same(problems, [], 'no script error')
    await agentContext.close()
  } finally {
    await browser.close()
  }
})

t.test('the page: no token, no data; the assets are served with the same policy', async (t) => {
  const { call } = await setupApp(t)
  for (const [url, type] of [['/board', /text\/html/], ['/board/board.js', /text\/javascript/], ['/board/board.css', /text\/css/], ['/board/icon.svg', /image\/svg\+xml/]] as const) {
    const response = await call('GET', url, null)
    t.equal(response.statusCode, 200, url)
    t.match(response.headers['content-type'], type)
    t.equal(response.headers['content-security-policy'], BOARD_CSP)
    t.equal(response.headers['x-content-type-options'], 'nosniff')
  }
  const html = (await call('GET', '/board', null)).body
  t.notMatch(html, /<script>|<script [^>]*>[^<]/, 'no inline script')
  t.notMatch(html, /style=/, 'no inline style')
  t.notMatch(html, /https?:\/\//, 'nothing from another origin')
  const script = (await call('GET', '/board/board.js', null)).body
  t.notMatch(script, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, 'text goes in as text')
})

import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { buildApp, type AppDependencies } from '../app.js'
import { createUser, type NewUserInput } from '../auth/users.service.js'
import type { Db } from '../db/database.js'
import { createLogger } from '../logger.js'

/** What `seed --demo` made: the people (with their tokens, to sign in with) and what happened to the complaints. */
export interface SeedReport {
  users: { name: string; role: string; level: number | null; token: string }[]
  complaints: number
  outcomes: Record<string, number>
}

export class SeedRefused extends Error {}

const HOUR = 3_600_000
const PEOPLE: NewUserInput[] = [
  { name: '王芳', role: 'agent', compensationLimit: 200, teams: ['east'] },
  { name: 'Sam Carter', role: 'agent', compensationLimit: 300, teams: ['north'] },
  { name: '李娜', role: 'agent', compensationLimit: 100, teams: ['south'] },
  { name: '陈刚', role: 'supervisor', level: 1, compensationLimit: 1_000, teams: ['east', 'south'] },
  { name: 'Priya Nair', role: 'supervisor', level: 1, compensationLimit: 1_000, teams: ['north'] },
  { name: '赵敏', role: 'supervisor', level: 2, compensationLimit: 5_000, teams: ['east', 'north', 'south'] },
  { name: 'Demo admin', role: 'admin' },
]

// [language, category, product, region, summary, description]: the kinds of call a hotline gets on an ordinary day.
const CALLS: [string, string, string, string, string, string][] = [
  ['zh-CN', 'delivery', '电水壶 K2', 'east', '快递员态度差，包裹被扔在门口', '客户说快递员没有打电话就把包裹扔在门口，外包装破损。'],
  ['zh-CN', 'delivery', '空气净化器 A7', 'south', '快递延误五天还没到', '订单显示已发货，物流信息五天没有更新。'],
  ['zh-CN', 'quality', '电水壶 K2', 'east', '水壶盖子裂了', '收到时壶盖有裂纹，烧水时漏水。'],
  ['zh-CN', 'billing', '会员年卡', 'north', '会员费被重复扣款', '同一天银行卡被扣了两次年费。'],
  ['zh-CN', 'service', '路由器 R7', 'south', '客服电话一直打不通', '客户说连续两天打热线都在排队，最后自动挂断。'],
  ['zh-CN', 'quality', '路由器 R7', 'north', '路由器每天掉线好几次', '升级固件以后每隔几个小时就断网一次。'],
  ['en', 'delivery', 'Air purifier A7', 'north', 'Parcel delivered to the wrong address', 'Tracking shows delivered, but to a house two streets away.'],
  ['en', 'quality', 'Router R7', 'east', 'Router keeps rebooting after the update', 'Since the firmware update the router reboots every hour.'],
  ['en', 'billing', 'Annual membership', 'south', 'Charged twice for the membership', 'Two identical charges on the same card on the same day.'],
  ['en', 'service', 'Kettle K2', 'north', 'Store refused to exchange a faulty kettle', 'The store said the receipt was needed, although the order is in the account.'],
  ['en', 'quality', 'Kettle K2', 'south', 'Kettle lid cracked on arrival', 'The lid was cracked out of the box; it leaks when boiling.'],
  ['en', 'delivery', 'Router R7', 'east', 'Courier left the parcel in the rain', 'The box was soaked and the router does not power on.'],
]
const NAMES = ['张伟', '刘洋', '周婷', '黄磊', '吴静', 'Emma Brown', 'Liam Wilson', 'Olivia Chen', 'Noah Patel', 'Mia Garcia']

/** A small seeded generator: the same demo day every time for the same seed. */
function generator(seed: number) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let x = Math.imul(state ^ (state >>> 15), 1 | state)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296
  }
}

/**
 * Fills an empty database with a day of realistic complaints (Chinese and English), each driven through the public
 * API as the people above would, at the times they would have (the app's clock walks through the last 24 hours):
 * resolved on the spot, escalated and taken, resolved later and followed up, or still open. Deadlines that slipped
 * meanwhile fire once a worker runs. Refuses a database that has complaints.
 */
export async function seedDemo(deps: Pick<AppDependencies, 'config' | 'db' | 'redis'> & { now?: Date; count?: number }): Promise<SeedReport> {
  const { db } = deps
  if (await hasComplaints(db)) throw new SeedRefused('the database already has complaints: seed --demo fills only an empty one')
  const now = deps.now ?? new Date()
  const random = generator(20261128)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!

  const people = await Promise.all(PEOPLE.map(async (input) => ({ input, ...(await createUser(db, input)) })))
  const [agents, supervisors] = [people.filter((p) => p.input.role === 'agent'), people.filter((p) => p.input.role === 'supervisor')]
  let clock = new Date(now.getTime() - 24 * HOUR)
  const silent = createLogger('silent', new Writable({ write: (_chunk, _encoding, done) => done() }))
  const app = await buildApp({ ...deps, logger: silent, clock: () => clock } as AppDependencies)
  await app.ready()
  const outcomes: Record<string, number> = {}
  const count = deps.count ?? 48
  try {
    for (let i = 0; i < count; i++) {
      const start = now.getTime() - 24 * HOUR + (i / count) * 23 * HOUR + random() * 20 * 60_000
      const at = (minutes: number) => (clock = new Date(start + minutes * 60_000))
      const [language, category, product, region, summary, description] = pick(CALLS)
      const agent = pick(agents)
      at(0)
      const phone = `+86 138 ${String(10_000_000 + Math.floor(random() * 89_999_999))}`
      const complaint = (await call(app, agent.token, 'POST', '/v1/complaints', {
        customer: { name: pick(NAMES), phone, language }, category, product, region, team: region, summary, description,
        severity: pick(['low', 'normal', 'normal', 'high']),
      }))!
      // The follow-up call is a colleague's (the default policy's followUpBy: not the resolver).
      const colleague = pick(agents.filter((other) => other !== agent))
      const outcome = await driveOne(app, complaint.id, {
        random, agent: agent.token, colleague: colleague.token, supervisor: pick(supervisors).token, at, now, language,
      })
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
    }
  } finally {
    await app.close()
  }
  return {
    users: people.map((p) => ({ name: p.row.name, role: p.row.role, level: p.row.level, token: p.token })),
    complaints: count,
    outcomes,
  }
}

async function driveOne(app: FastifyInstance, id: string, o: {
  random: () => number; agent: string; colleague: string; supervisor: string; at: (minutes: number) => Date; now: Date; language: string
}): Promise<string> {
  const path = (action: string) => `/v1/complaints/${id}/${action}`
  const inPast = (minutes: number) => o.at(minutes).getTime() < o.now.getTime()
  const zh = o.language === 'zh-CN'
  const dice = o.random()
  if (dice < 0.15) return 'open'
  if (dice < 0.6) {
    o.at(6)
    await call(app, o.agent, 'POST', path('resolve'), { summary: zh ? '已补发新品并致歉' : 'Replacement sent, apology given', compensation: { kind: 'voucher', amount: 50, currency: 'CNY' } })
    if (!inPast(20 * 60)) return 'resolved on the spot'
    await call(app, o.colleague, 'POST', path('follow-up'), o.random() < 0.85 ? { outcome: 'satisfied', satisfaction: 4 + Math.round(o.random()) } : { outcome: 'unsatisfied', satisfaction: 2 })
    return 'resolved on the spot, followed up'
  }
  o.at(9)
  await call(app, o.agent, 'POST', path('escalate'), { reason: zh ? '需要退款，超出坐席权限' : 'Refund above the agent\'s limit' })
  if (!inPast(25) || o.random() < 0.2) return 'escalated, waiting to be taken'
  o.at(25)
  const taken = await call(app, o.supervisor, 'POST', path('acknowledge'), {}, true)
  if (!taken) return 'escalated, routed elsewhere'
  if (!inPast(3 * 60)) return 'escalated, taken'
  o.at(3 * 60)
  await call(app, o.supervisor, 'POST', path('resolve'), { summary: zh ? '全额退款' : 'Full refund issued', compensation: { kind: 'refund', amount: 399, currency: 'CNY' } })
  return 'escalated, resolved'
}

async function hasComplaints(db: Db): Promise<boolean> {
  return (await db.selectFrom('complaints').select('id').limit(1).execute()).length > 0
}

/** One request as `token`; `optional`: a refusal (4xx) answers undefined instead of stopping the seed. */
async function call(app: FastifyInstance, token: string, method: 'POST', url: string, payload: object, optional = false) {
  const response = await app.inject({ method, url, payload, headers: { authorization: `Bearer ${token}` } })
  if (response.statusCode >= 300) {
    if (optional && response.statusCode < 500) return undefined
    throw new Error(`seed: ${method} ${url} answered ${response.statusCode}: ${response.body}`)
  }
  return response.json() as { id: string }
}

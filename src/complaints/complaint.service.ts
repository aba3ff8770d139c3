import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import type { Static } from 'typebox'
import type { Actor } from '../../workflows/complaint.machine.js'
import type { AuthUser } from '../auth/auth.plugin.js'
import type { Db } from '../db/database.js'
import type { Channel, ComplaintRow } from '../db/tables.js'
import { findOrCreateCustomer } from '../customers/customers.repository.js'
import { intakeIdentity, normaliseCustomer } from '../customers/identity.js'
import { Problem, problems } from '../http/problem.js'
import { cachesOf } from '../cache/caches.js'
import { durationMs } from '../sla/policy.js'
import { logCommand } from './commands.js'
import { findRecord, listEvents, lockComplaint, lockComplaints, type ComplaintRecord } from './complaint.repository.js'
import { planCreation } from './creation.js'
import type { CreateComplaintBody } from './complaint.schemas.js'
import type { Logger } from 'pino'
import { actorOf, presentComplaint } from './complaint.view.js'
import { findIdempotencyKey, requestHash, RolledBackForIdempotency } from './idempotency.js'
import { checkVersion } from './if-match.js'
import { referencesFor } from './references.js'
import { applyCommand, type Command, type TransitionResult } from './transition.js'
import { writeComplaint } from './writer.js'
import { notifyContext } from '../notifications/context.js'
import { recentIncidentsRead, suggestIncidents, type SuggestedIncident } from '../incidents/suggestions.js'
import type { NotifySettings } from '../notifications/settings.js'

export { RolledBackForIdempotency } from './idempotency.js'

export interface ComplaintServiceOptions {
  db: Db
  defaultPhoneCountry?: string
  clock?: () => Date
  /**
   * Called after a transition's transaction has committed (the scheduler hooks in here). It cannot fail the request:
   * what it starts is re-derived from Postgres by the reconciler and the sweep if it fails.
   */
  afterCommit?: (results: TransitionResult[]) => Promise<void> | void
  logger?: Pick<Logger, 'error'>
  /** TIMER_HORIZON: deadlines due within it are enqueued after commit, later ones by the worker's loader. */
  timerHorizonMs?: number
  /** The channels messages to customers go out on (src/notifications); none when not given. */
  notify?: NotifySettings
}

type CreateBody = Static<typeof CreateComplaintBody>

/**
 * The contract's possibleDuplicateOf: the newest complaint of this customer and category that is not closed, found
 * by the new complaint's own INSERT (it cannot find itself: the statement's snapshot predates the row).
 */
function openDuplicate(customerId: string, category: string) {
  return sql<string | null>`(select d.id from complaints d where d.customer_id = ${customerId} and d.category = ${category}
    and d.state <> 'closed' order by d.created_at desc, d.id desc limit 1)`
}

/**
 * The contract's repeatOf: the closed complaint of this customer and category that closed last, within reopenWithin of
 * now, found by the new complaint's own INSERT like openDuplicate. A complaint closed as a duplicate lives on in the one
 * it merged into, so it is not the one repeated.
 */
function closedRepeated(customerId: string, category: string, since: Date) {
  return sql<string | null>`(select r.id from complaints r where r.customer_id = ${customerId} and r.category = ${category}
    and r.state = 'closed' and r.closed_at >= ${since} and r.close_reason is distinct from 'duplicate'
    order by r.closed_at desc, r.id desc limit 1)`
}

/**
 * An event's data as the API shows it: never the actor's `authority` (staff levels and compensation limits, kept for
 * replay), and, in a `complaint.duplicate_absorbed` written before merges were limited to one customer, never the
 * copied contacts and events of the duplicate (another customer's, possibly).
 */
function readableData(type: string, stored: unknown): Record<string, unknown> {
  const { authority: _authority, ...data } = stored as Record<string, unknown>
  if (type !== 'complaint.duplicate_absorbed') return data
  const { contacts: _contacts, events: _events, summary: _summary, description: _description, ...absorbed } = data
  return absorbed
}

export class ComplaintService {
  constructor(private readonly options: ComplaintServiceOptions) {}

  private get db() {
    return this.options.db
  }

  now(): Date {
    return this.options.clock?.() ?? new Date()
  }

  /**
   * The policy and the webhook endpoints, from memory (src/cache/caches.ts), read before a transaction opens: a read
   * inside one would take a second connection while holding the first, and a saturated pool would wait on itself.
   */
  async rarelyChanging() {
    const caches = cachesOf(this.db)
    const [{ policy }, endpoints, notify] = await Promise.all([caches.policy(), caches.endpoints(), notifyContext(this.db, this.options.notify)])
    return { policy, endpoints, horizonMs: this.options.timerHorizonMs, notify }
  }

  /**
   * Logs a complaint taken on a call or a visit: it is received and logged in one transaction. An
   * integration's complaint (`intake: 'received'`) stops at received, with its triage deadline.
   */
  async create(
    user: AuthUser,
    body: Omit<CreateBody, 'channel'> & { channel?: Channel; externalRef?: string },
    idempotencyKey?: string,
    intake: 'logged' | 'received' = 'logged',
  ): Promise<{ record: ComplaintRecord; replayed: boolean; suggestedIncidents?: SuggestedIncident[] }> {
    const fromIntegration = user.role === 'integration'
    const hash = idempotencyKey ? requestHash(body) : undefined
    if (idempotencyKey) {
      const replay = await this.replayIdempotent(user, idempotencyKey, hash!)
      if (replay) return { record: replay, replayed: true }
    }
    const identity = intakeIdentity(normaliseCustomer(body.customer, this.options.defaultPhoneCountry), user.role)
    const now = this.now()
    const reference = await referencesFor(this.db).reference(now)
    const { policy, endpoints, horizonMs, notify } = await this.rarelyChanging()
    const actor = actorOf(user)
    try {
      const { record, results, suggestedIncidents } = await this.db.transaction().execute(async (trx) => {
        const customer = await findOrCreateCustomer(trx, identity)
        const id = randomUUID()
        const planned = await planCreation({
          id,
          reference,
          channel: body.channel ?? (fromIntegration ? 'webhook' : 'phone'),
          customerId: customer.id,
          category: body.category,
          severity: body.severity ?? 'normal',
          customerTier: customer.tier,
          summary: body.summary,
          description: body.description ?? null,
          product: body.product ?? null,
          region: body.region ?? null,
          team: body.team ?? user.teams[0] ?? null,
          assigneeId: fromIntegration ? null : user.id,
          integrationId: fromIntegration ? user.id : null,
          externalRef: body.externalRef ?? null,
          possibleDuplicateOf: null,
          repeatOf: null,
          createdBy: user.id,
          createdAt: now,
        }, actor, policy, {
          now,
          endpoints,
          horizonMs,
          notify,
          customer,
          ...(intake === 'logged' ? { log: logCommand(actor, { promisedBy: body.promisedBy }) } : {}),
        })
        const { row, claimed, also } = await writeComplaint(trx, {
          ...planned.write,
          insert: {
            ...planned.write.insert!,
            possibleDuplicateOf: openDuplicate(customer.id, body.category),
            repeatOf: closedRepeated(customer.id, body.category, new Date(now.getTime() - durationMs(policy.reopenWithin))),
          },
          ...(idempotencyKey ? { claim: { userId: user.id, key: idempotencyKey, requestHash: hash!, complaintId: id } } : {}),
        }, recentIncidentsRead(now))
        // A concurrent request with the same key committed first: undo ours and answer with theirs.
        if (!claimed) throw new RolledBackForIdempotency()
        const last = planned.results.at(-1)!
        return {
          record: this.answer({ complaint: row, customer, timers: last.pending }, user),
          results: [...planned.results.slice(0, -1), { ...last, row }],
          suggestedIncidents: suggestIncidents(body, also as Parameters<typeof suggestIncidents>[1]),
        }
      })
      await this.afterCommit(results)
      return { record, replayed: false, suggestedIncidents }
    } catch (error) {
      if (!(error instanceof RolledBackForIdempotency)) throw error
      const replay = await this.replayIdempotent(user, idempotencyKey!, hash!)
      if (!replay) throw error
      return { record: replay, replayed: true }
    }
  }

  private async replayIdempotent(user: AuthUser, key: string, hash: string): Promise<ComplaintRecord | undefined> {
    const existing = await findIdempotencyKey(this.db, user.id, key)
    if (!existing) return undefined
    if (existing.requestHash !== hash) {
      throw new Problem('idempotency_mismatch', 'this Idempotency-Key was used with a different request body')
    }
    return (await findRecord(this.db, existing.complaintId))!
  }

  /**
   * Runs an action on a complaint: lock, check the version, transition, commit. With an idempotency key, the key is
   * claimed in the same transaction (RolledBackForIdempotency when a concurrent request took it first).
   */
  async act(
    user: AuthUser,
    id: string,
    ifMatch: string | undefined,
    build: (actor: Actor) => Command,
    idempotency?: { key: string; hash: string },
  ): Promise<ComplaintRecord> {
    const command = build(actorOf(user))
    await this.validateCommand(command)
    const now = this.now()
    const { policy, endpoints, horizonMs, notify } = await this.rarelyChanging()
    const { result, record } = await this.db.transaction().execute(async (trx) => {
      const locked = await lockComplaint(trx, id)
      if (!locked || !this.visible(locked.row, user)) throw problems.notFound('complaint')
      checkVersion(ifMatch, locked.row.version)
      const claim = idempotency && { userId: user.id, key: idempotency.key, requestHash: idempotency.hash, complaintId: id }
      const loaded = command.load ? await command.load(trx, locked) : command
      const applied = await applyCommand(trx, locked, loaded, { now, policy, endpoints, horizonMs, notify, ...(claim ? { claim } : {}) })
      return { result: applied, record: this.answer({ complaint: applied.row, customer: locked.customer, timers: applied.pending }, user) }
    })
    await this.afterCommit([result])
    return record
  }

  /**
   * Closes a duplicate into another open complaint of the same customer (else 409 merge_customer_mismatch). Both are
   * locked in id order (as a timer batch locks them) and the duplicate closes as `duplicate`. The other complaint's
   * history records the duplicate's id and reference only: its events and contacts stay on the duplicate, which keeps
   * its own history, so whoever may read the survivor (an integration) learns nothing it could not read before.
   */
  async merge(user: AuthUser, id: string, ifMatch: string | undefined, body: { into: string; note?: string }): Promise<ComplaintRecord> {
    if (body.into === id) throw problems.validation([{ field: 'body.into', message: 'is this complaint itself' }])
    const actor = actorOf(user)
    const now = this.now()
    const { policy, endpoints, horizonMs, notify } = await this.rarelyChanging()
    const { results, record } = await this.db.transaction().execute(async (trx) => {
      const locked = await lockComplaints(trx, [id, body.into])
      const duplicateRecord = locked.find((r) => r.row.id === id)
      const survivorRecord = locked.find((r) => r.row.id === body.into)
      const duplicate = duplicateRecord?.row
      const survivor = survivorRecord?.row
      if (!duplicate || !this.visible(duplicate, user)) throw problems.notFound('complaint')
      checkVersion(ifMatch, duplicate.version)
      if (!survivor || !this.visible(survivor, user)) {
        throw problems.validation([{ field: 'body.into', message: 'is not a complaint you can see' }])
      }
      if (survivor.state === 'closed') {
        throw problems.validation([{ field: 'body.into', message: 'is closed: merge into an open complaint' }])
      }
      if (survivor.customerId !== duplicate.customerId) {
        throw new Problem('merge_customer_mismatch', 'the two complaints are from different customers: only one customer\'s complaints merge')
      }
      const merged = await applyCommand(trx, duplicateRecord!, {
        event: { type: 'MERGE', actor },
        data: { into: survivor.id, intoReference: survivor.reference, note: body.note },
      }, { now, policy, endpoints, horizonMs, notify })
      const absorbed = await applyCommand(trx, survivorRecord!, {
        event: { type: 'ABSORB', actor },
        data: { from: duplicate.id, fromReference: duplicate.reference },
      }, { now, policy, endpoints, horizonMs, notify })
      return { results: [merged, absorbed], record: this.answer({ complaint: merged.row, customer: duplicateRecord!.customer, timers: merged.pending }, user) }
    })
    await this.afterCommit(results)
    return record
  }

  private async validateCommand(command: Command): Promise<void> {
    if (command.event.type !== 'ASSIGN') return
    // An assignment's data is the request's body, fixed before the complaint is read.
    const assigneeId = (command.data as Record<string, unknown>).assigneeId as string
    const assignee = await this.db
      .selectFrom('users')
      .select(['id'])
      .where('id', '=', assigneeId)
      .where('active', '=', true)
      .where('role', 'in', ['agent', 'supervisor'])
      .executeTakeFirst()
    if (!assignee) {
      throw problems.validation([{ field: 'body.assigneeId', message: 'is not an active agent or supervisor' }])
    }
  }

  async get(user: AuthUser, id: string): Promise<ComplaintRecord> {
    const record = await findRecord(this.db, id)
    if (!record || !this.visible(record.complaint, user)) throw problems.notFound('complaint')
    return record
  }

  async history(user: AuthUser, id: string, page: { limit?: number; cursor?: string } = {}) {
    await this.get(user, id)
    const { items, nextCursor } = await listEvents(this.db, id, page)
    return {
      items: items.map((e) => ({ seq: e.seq, type: e.type, actor: { id: e.actorId, role: e.actorRole }, at: e.at.toISOString(), data: readableData(e.type, e.data) })),
      nextCursor,
    }
  }

  visible(row: ComplaintRow, user: AuthUser): boolean {
    return user.role !== 'integration' || row.integrationId === user.id
  }

  /**
   * The answer to a command, built from the rows it wrote, before its transaction commits: it cannot fail after the
   * commit (Postgres gone between COMMIT and the next query), and a complaint that cannot be rendered rolls the
   * command back. A request that committed answers 2xx; a 5xx means nothing committed.
   */
  private answer(record: ComplaintRecord, user: AuthUser): ComplaintRecord {
    presentComplaint(record, user)
    return record
  }

  /** What a commit sets in motion (jobs, live events, deliveries): logged if it fails, never the request's failure. */
  async afterCommit(results: TransitionResult[]): Promise<void> {
    try {
      await this.options.afterCommit?.(results)
    } catch (error) {
      this.options.logger?.error({ err: error }, 'after-commit work failed; the reconciler and the sweep will catch up')
    }
  }

}

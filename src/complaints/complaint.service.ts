import type { Static } from 'typebox'
import { MACHINE_VERSION, start, type Actor } from '../../workflows/complaint.machine.js'
import type { AuthUser } from '../auth/auth.plugin.js'
import type { Db, Trx } from '../db/database.js'
import type { ComplaintRow } from '../db/tables.js'
import { findOrCreateCustomer } from '../customers/customers.repository.js'
import { normaliseCustomer } from '../customers/identity.js'
import { Problem, problems } from '../http/problem.js'
import { cachesOf } from '../cache/caches.js'
import { writeOutbox } from '../webhooks/outbox.js'
import { logCommand } from './commands.js'
import { findComplaint, listEvents, loadRecords, lockComplaint, type ComplaintRecord } from './complaint.repository.js'
import type { CreateComplaintBody } from './complaint.schemas.js'
import type { Logger } from 'pino'
import { actorOf, presentComplaint } from './complaint.view.js'
import { findIdempotencyKey, requestHash } from './idempotency.js'
import { checkVersion } from './if-match.js'
import { nextReference } from './references.js'
import { appendEvents, applyCommand, eventRow, writeTimerEffects, type Command, type TransitionResult } from './transition.js'

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
}

type CreateBody = Static<typeof CreateComplaintBody>

/** A concurrent request with the same idempotency key committed first: this one rolled back. */
export class RolledBackForIdempotency extends Error {}

/** The contract's possibleDuplicateOf: the newest complaint of this customer and category that is not closed. */
export async function findOpenDuplicate(trx: Trx, customerId: string, category: string): Promise<string | null> {
  const open = await trx
    .selectFrom('complaints')
    .select('id')
    .where('customerId', '=', customerId)
    .where('category', '=', category)
    .where('state', '<>', 'closed')
    .orderBy('createdAt', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
  return open?.id ?? null
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

  private now(): Date {
    return this.options.clock?.() ?? new Date()
  }

  /**
   * The policy and the webhook endpoints, from memory (src/cache/caches.ts), read before a transaction opens: a read
   * inside one would take a second connection while holding the first, and a saturated pool would wait on itself.
   */
  private async rarelyChanging() {
    const caches = cachesOf(this.db)
    const [{ policy }, endpoints] = await Promise.all([caches.policy(), caches.endpoints()])
    return { policy, endpoints }
  }

  /**
   * Logs a complaint taken on a call or a visit: it is received and logged in one transaction. An
   * integration's complaint (`intake: 'received'`) stops at received, with its triage deadline.
   */
  async create(
    user: AuthUser,
    body: CreateBody & { externalRef?: string },
    idempotencyKey?: string,
    intake: 'logged' | 'received' = 'logged',
  ): Promise<{ record: ComplaintRecord; replayed: boolean }> {
    const fromIntegration = user.role === 'integration'
    const hash = idempotencyKey ? requestHash(body) : undefined
    if (idempotencyKey) {
      const replay = await this.replayIdempotent(user, idempotencyKey, hash!)
      if (replay) return { record: replay, replayed: true }
    }
    const identity = normaliseCustomer(body.customer, this.options.defaultPhoneCountry)
    const now = this.now()
    const reference = await nextReference(this.db, now)
    const { policy, endpoints } = await this.rarelyChanging()
    const actor = actorOf(user)
    try {
      const { record, results } = await this.db.transaction().execute(async (trx) => {
        const customer = await findOrCreateCustomer(trx, identity)
        const possibleDuplicateOf = await findOpenDuplicate(trx, customer.id, body.category)
        const started = start({ maxLevel: policy.maxLevel, followUpMaxAttempts: policy.followUpAttempts })
        const inserted = await trx
          .insertInto('complaints')
          .values({
            reference,
            state: started.persisted.value,
            channel: fromIntegration ? 'webhook' : body.channel ?? 'phone',
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
            possibleDuplicateOf,
            createdBy: user.id,
            machineVersion: MACHINE_VERSION,
            machineSnapshot: JSON.stringify(started.persisted),
            escalation: JSON.stringify(null),
            resolution: JSON.stringify(null),
            followUp: JSON.stringify(null),
            createdAt: now,
            updatedAt: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow()
        await appendEvents(trx, [eventRow(inserted.id, 1, 'CREATED', actor, now, { reference, channel: inserted.channel })])
        const deliveries = await writeOutbox(trx, { complaint: inserted, seq: 1, historyType: 'complaint.received', effects: started.effects, at: now, endpoints })
        const opened = await writeTimerEffects(trx, inserted.id, started.effects, {
          seq: 1, state: started.persisted.value, now, policy, promisedBy: null,
          subject: { severity: inserted.severity, customerTier: inserted.customerTier, team: inserted.team },
        })
        const received = { row: inserted, effects: started.effects, seq: 1, armed: opened.armed, historyType: 'complaint.received', deliveries }
        if (intake === 'received') {
          await this.claimIdempotencyKey(trx, user, idempotencyKey, hash, inserted.id)
          return { record: await this.answer(trx, inserted, user), results: [received] }
        }
        const logged = await applyCommand(trx, inserted, logCommand(actor, { promisedBy: body.promisedBy }), { now, policy, endpoints })
        await this.claimIdempotencyKey(trx, user, idempotencyKey, hash, inserted.id)
        // Logged at once: the triage timer was cancelled in this transaction and needs no job.
        return { record: await this.answer(trx, logged.row, user), results: [{ ...received, armed: [] }, logged] }
      })
      await this.afterCommit(results)
      return { record, replayed: false }
    } catch (error) {
      if (!(error instanceof RolledBackForIdempotency)) throw error
      const replay = await this.replayIdempotent(user, idempotencyKey!, hash!)
      if (!replay) throw error
      return { record: replay, replayed: true }
    }
  }

  private async claimIdempotencyKey(trx: Trx, user: AuthUser, key: string | undefined, hash: string | undefined, complaintId: string) {
    if (!key) return
    const claimed = await trx
      .insertInto('idempotencyKeys')
      .values({ userId: user.id, key, requestHash: hash!, complaintId })
      .onConflict((oc) => oc.doNothing())
      .returning('key')
      .executeTakeFirst()
    // A concurrent request with the same key committed first: undo ours and answer with theirs.
    if (!claimed) throw new RolledBackForIdempotency()
  }

  private async replayIdempotent(user: AuthUser, key: string, hash: string): Promise<ComplaintRecord | undefined> {
    const existing = await findIdempotencyKey(this.db, user.id, key)
    if (!existing) return undefined
    if (existing.requestHash !== hash) {
      throw new Problem('idempotency_mismatch', 'this Idempotency-Key was used with a different request body')
    }
    return this.record((await findComplaint(this.db, existing.complaintId))!)
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
    const { policy, endpoints } = await this.rarelyChanging()
    const { result, record } = await this.db.transaction().execute(async (trx) => {
      const row = await lockComplaint(trx, id)
      if (!row || !this.visible(row, user)) throw problems.notFound('complaint')
      checkVersion(ifMatch, row.version)
      const applied = await applyCommand(trx, row, command, { now, policy, endpoints })
      await this.claimIdempotencyKey(trx, user, idempotency?.key, idempotency?.hash, id)
      return { result: applied, record: await this.answer(trx, applied.row, user) }
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
    const { policy, endpoints } = await this.rarelyChanging()
    const { results, record } = await this.db.transaction().execute(async (trx) => {
      const rows = await trx.selectFrom('complaints').selectAll().where('id', 'in', [id, body.into]).orderBy('id').forUpdate().execute()
      const duplicate = rows.find((r) => r.id === id)
      const survivor = rows.find((r) => r.id === body.into)
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
      const merged = await applyCommand(trx, duplicate, {
        event: { type: 'MERGE', actor },
        data: { into: survivor.id, intoReference: survivor.reference, note: body.note },
      }, { now, policy, endpoints })
      const absorbed = await applyCommand(trx, survivor, {
        event: { type: 'ABSORB', actor },
        data: { from: duplicate.id, fromReference: duplicate.reference },
      }, { now, policy, endpoints })
      return { results: [merged, absorbed], record: await this.answer(trx, merged.row, user) }
    })
    await this.afterCommit(results)
    return record
  }

  private async validateCommand(command: Command): Promise<void> {
    if (command.event.type !== 'ASSIGN') return
    const assigneeId = command.data?.assigneeId as string
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
    const row = await findComplaint(this.db, id)
    if (!row || !this.visible(row, user)) throw problems.notFound('complaint')
    return this.record(row)
  }

  async history(user: AuthUser, id: string) {
    await this.get(user, id)
    const events = await listEvents(this.db, id)
    return events.map((e) => ({ seq: e.seq, type: e.type, actor: { id: e.actorId, role: e.actorRole }, at: e.at.toISOString(), data: readableData(e.type, e.data) }))
  }

  private visible(row: ComplaintRow, user: AuthUser): boolean {
    return user.role !== 'integration' || row.integrationId === user.id
  }

  /**
   * The answer to a command, built from the rows it wrote, before its transaction commits: loading it cannot fail
   * after the commit (Postgres gone between COMMIT and the next query), and a complaint that cannot be rendered rolls
   * the command back. A request that committed answers 2xx; a 5xx means nothing committed.
   */
  private async answer(trx: Trx, row: ComplaintRow, user: AuthUser): Promise<ComplaintRecord> {
    const record = (await loadRecords(trx, [row]))[0]!
    presentComplaint(record, user)
    return record
  }

  /** What a commit sets in motion (jobs, live events, deliveries): logged if it fails, never the request's failure. */
  private async afterCommit(results: TransitionResult[]): Promise<void> {
    try {
      await this.options.afterCommit?.(results)
    } catch (error) {
      this.options.logger?.error({ err: error }, 'after-commit work failed; the reconciler and the sweep will catch up')
    }
  }

  private async record(row: ComplaintRow): Promise<ComplaintRecord> {
    return (await loadRecords(this.db, [row]))[0]!
  }
}

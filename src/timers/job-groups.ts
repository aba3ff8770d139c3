import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import type { Db } from '../db/database.js'
import { queueOf, type ScheduledTimer } from './jobs.js'
import type { Scheduler } from './scheduler.js'

/** Timers of one queue due within this many ms of the group's first share a job: its earliest is this late at most. */
export const GROUP_SPAN_MS = 50

/** A group's job carries at most this many timer ids. */
export const GROUP_MAX = 256

/**
 * Gives the timers due together one job: walks them in due order, each queue apart, and starts a new group when the
 * span would be exceeded or the group is full. A group of one keeps the timer's own job (no `jobId`). Group ids are
 * fresh (`group.<uuid>`), never derived from the timers: a second loader round that meets a timer again (its first
 * died before marking it) must not find its new group silently merged into a job that already exists.
 */
export function groupJobs<T extends ScheduledTimer>(timers: T[]): Map<string, string> {
  const jobIds = new Map<string, string>()
  const open = new Map<string, T[]>()
  const close = (group: T[]) => {
    if (group.length < 2) return
    const jobId = `group.${randomUUID()}`
    for (const timer of group) jobIds.set(timer.id, jobId)
  }
  for (const timer of [...timers].sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())) {
    const queue = queueOf(timer.kind)
    const group = open.get(queue)
    if (group && group.length < GROUP_MAX && timer.dueAt.getTime() - group[0]!.dueAt.getTime() <= GROUP_SPAN_MS) {
      group.push(timer)
      continue
    }
    if (group) close(group)
    open.set(queue, [timer])
  }
  for (const group of open.values()) close(group)
  return jobIds
}

/**
 * Hands timers rows to the queue in groups and records each row's job: the jobs are added before the rows are
 * marked, so a process that dies in between leaves rows that the next round adds again (a fresh group: at worst a
 * duplicate job, whose firing finds its timers no longer pending).
 */
export async function enqueueInGroups(db: Db, scheduler: Scheduler, rows: ScheduledTimer[]): Promise<void> {
  if (rows.length === 0) return
  const jobIds = groupJobs(rows)
  const timers = rows.map((row) => ({ ...row, jobId: jobIds.get(row.id) ?? null }))
  const ids = timers.map((t) => t.id)
  await scheduler.schedule(timers)
  // A row a firing batch holds is skipped, not waited for: a job due at once can fire while its rows are marked, and
  // the two statements, locking the same rows in different orders, could deadlock. A skipped row that the batch fires
  // needs no mark; one it leaves (rolled back) is added again by the next round, as after a death in between.
  // The ids as an array the primary key answers, and each row's job looked up in a JSON object (a binary search): a
  // join of the rows to the ids, planned (and cached) for the 10 rows a parameter is guessed at, compared every row
  // with every id, quadratic in the round's size (2.0 s for 4,000 timers, 0.33 s now: bench/RESULTS.md, issue 12).
  // Planned for each round (force_custom_plan), for its real size: a plan cached while `timers` was small scans it
  // whole, each row against every id (test/timers/generic-plans.test.ts). One round trip more per round of 5,000.
  const jobs = Object.fromEntries(timers.filter((t) => t.jobId !== null).map((t) => [t.id, t.jobId]))
  await db.transaction().execute(async (trx) => {
    await sql`set local plan_cache_mode = force_custom_plan`.execute(trx)
    await sql`update timers t set queued = true, job_id = ${JSON.stringify(jobs)}::jsonb ->> t.id
      where t.id = any(array(select id from timers where id = any(${ids}::text[]) for update skip locked))`.execute(trx)
  })
}

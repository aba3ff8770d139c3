import { DelayedError, type Job } from 'bullmq'
import { isUnavailable } from '../http/unavailable.js'

/** How soon a job that met an unreachable Postgres is tried again. */
export const POSTGRES_AWAY_RETRY_MS = 1_000

/**
 * Runs a job's work; when it fails because Postgres is unreachable (a restart, a failover), the job goes back to the
 * delayed set for a second instead of failing: it keeps its attempts (five failures in an outage would drop it and
 * leave it to the next reconcile round) and fires within about a second of Postgres's return.
 */
export async function retryWhilePostgresAway<T>(job: Job, token: string | undefined, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (!isUnavailable(error) || token === undefined) throw error
    await job.moveToDelayed(Date.now() + POSTGRES_AWAY_RETRY_MS, token)
    throw new DelayedError()
  }
}

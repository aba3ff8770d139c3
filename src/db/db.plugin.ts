import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Db } from './database.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Db
  }
}

/** Exposes the Kysely instance; whoever created it owns closing it. */
export default fp(
  async function dbPlugin(app: FastifyInstance, options: { db: Db }) {
    app.decorate('db', options.db)
  },
  { name: 'db' },
)

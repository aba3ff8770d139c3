import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis
  }
}

export default fp(
  async function redisPlugin(app: FastifyInstance, options: { redis: Redis }) {
    app.decorate('redis', options.redis)
  },
  { name: 'redis' },
)

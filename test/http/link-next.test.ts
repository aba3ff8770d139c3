import t from 'tap'
import { setupApp } from '../helpers/app.js'
import { nextPageUrl } from '../../src/http/link-next.plugin.js'

t.test('a list with a next page links to it (rel="next"), keeping its filters; the last page has no Link', async (t) => {
  const { call, admin, user } = await setupApp(t)
  for (let i = 0; i < 3; i++) await user('agent')
  const seen: string[] = []
  let url: string | undefined = '/v1/users?role=agent&limit=2'
  let pages = 0
  while (url) {
    const answer = await call('GET', url, admin)
    t.equal(answer.statusCode, 200)
    const page = answer.json()
    seen.push(...page.items.map((u: { id: string; role: string }) => { t.equal(u.role, 'agent', 'the filter is kept'); return u.id }))
    const link = answer.headers.link as string | undefined
    if (page.nextCursor) {
      t.equal(link, `<${nextPageUrl(url, page.nextCursor)}>; rel="next"`)
      t.match(link, /^<\/v1\/users\?role=agent&limit=2&cursor=[^>]+>; rel="next"$/)
    } else {
      t.equal(link, undefined, 'no next page, no Link')
    }
    url = link ? /^<([^>]+)>/.exec(link)![1] : undefined
    pages++
  }
  t.equal(pages, 2)
  t.equal(new Set(seen).size, 3, 'every agent once')
})

t.test('the next page URL replaces an earlier cursor', async (t) => {
  t.equal(nextPageUrl('/v1/complaints?cursor=abc&state=logged', 'x+y/z='), '/v1/complaints?cursor=x%2By%2Fz%3D&state=logged')
})

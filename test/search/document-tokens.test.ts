import { sql } from 'kysely'
import t from 'tap'
import { createDb } from '../../src/db/database.js'
import { createTestDatabase } from '../helpers/databases.js'

// search_document_tokens is defined (migration 0025) as tokens(title || ' ' || body) followed by the title's tokens
// with '^' in front; migration 0034 computes it in one pass. Both must give the same array, in the same order, for
// Chinese, Korean, Japanese, English, full-width, punctuation-only, empty and missing text, with reference fragments.
const TEXTS = [
  'Kettle arrived with a cracked lid', '快递 破损，客服不理人！', 'TP-Link router 断网 3 天', 'Ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ １２３',
  '退款还没到账 refund not received 订单号 A1234567', 'x', '', '   ...  ', '한국어 텍스트 mixed 日本語のテキスト',
  'supercalifragilisticexpialidocious and antidisestablishmentarianism', null, '王', 'a-b_c.d', '12345678901234567890123',
]
const REFERENCES = ['C-20261128-000427', null]

t.test('the one-pass document tokens equal their definition', async (t) => {
  const database = await createTestDatabase()
  t.teardown(database.drop)
  const db = createDb(database.url, { max: 1 })
  t.teardown(() => db.destroy())
  const { rows } = await sql<{ cases: number; differing: number }>`
    with texts as (select * from unnest(${TEXTS}::text[]) s), refs as (select * from unnest(${REFERENCES}::text[]) r),
    docs as (
      select search_title(a.s, b.s, refs.r) as title, search_body(c.s, array[b.s, a.s]) as body
      from texts a, texts b, texts c, refs)
    select count(*)::int as cases,
      count(*) filter (where search_document_tokens(title, body) is distinct from
        (search_tokens(title || ' ' || body) || array(select '^' || x from unnest(search_tokens(title)) x)))::int as differing
    from docs`.execute(db)
  t.same(rows[0], { cases: TEXTS.length ** 3 * REFERENCES.length, differing: 0 })
})

import t from 'tap'
import { characterBigrams, diceSimilarity, normaliseText, textSimilarity, textTokens } from '../../src/text/tokens.js'

t.test('Chinese runs become overlapping bigrams; a lone character stays itself', async (t) => {
  t.same(characterBigrams('快递员态度差'), ['快递', '递员', '员态', '态度', '度差'])
  t.same(characterBigrams('差'), ['差'])
  t.same([...textTokens('快递员 差')].sort(), ['差', '快递', '递员'].sort())
})

t.test('English words stay whole, lower-cased; full-width forms read as ASCII', async (t) => {
  t.equal(normaliseText('ＲＯＵＴＥＲ１'), 'router1')
  t.same([...textTokens('Router R7 keeps rebooting!')].sort(), ['keeps', 'r7', 'rebooting', 'router'])
  t.same([...textTokens('路由器Router坏了')].sort(), ['router', '坏了', '由器', '路由'].sort())
})

t.test('similarity: 1 for the same text, 0 for nothing shared, in between for an overlap', async (t) => {
  t.equal(textSimilarity('快递员态度差', '快递员态度差'), 1)
  t.equal(textSimilarity('快递员态度差', 'router reboots'), 0)
  const near = textSimilarity('快递员态度很差', '快递员态度差')
  t.ok(near > 0.5 && near < 1, `near-duplicate Chinese scores ${near}`)
  const english = textSimilarity('router keeps rebooting', 'my router keeps rebooting every hour')
  t.ok(english > 0.5 && english < 1, `overlapping English scores ${english}`)
  t.equal(diceSimilarity(new Set(), new Set(['a'])), 0)
})

import t from 'tap'
import { parseExposition, parseScrape } from './fixtures/prometheus.js'

// The test parser is what the metrics tests trust: it must accept the format and refuse what is not.
const GOOD = `# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3
# a plain comment
# HELP odd A "quoted" help with a \\\\ and a \\n.
# TYPE odd gauge
odd{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9
odd{problem="division by zero"} +Inf
# TYPE h histogram
h_bucket{route="/a",le="0.1"} 1
h_bucket{route="/a",le="+Inf"} 2
h_sum{route="/a"} 0.3
h_count{route="/a"} 2
h_bucket{le="0.1",route="/b"} 0
h_bucket{le="+Inf",route="/b"} 1
h_sum{route="/b"} 2
h_count{route="/b"} 1
`

t.test('the text format is parsed, labels and escapes included', async (t) => {
  const families = parseExposition(GOOD)
  t.same(families.map((f) => [f.name, f.type]), [['http_requests_total', 'counter'], ['odd', 'gauge'], ['h', 'histogram']])
  t.equal(families[1]!.help, 'A "quoted" help with a \\ and a \n.')
  const scrape = parseScrape(GOOD)
  t.equal(scrape.value('http_requests_total', { code: '400' }), 3)
  t.equal(scrape.samples('odd', { path: 'C:\\DIR\\FILE.TXT' })[0]!.labels.error, 'Cannot find file:\n"FILE.TXT"')
  t.equal(scrape.value('odd', { problem: 'division by zero' }), Infinity)
  t.same(scrape.histogram('h', { route: '/a' }), { count: 2, sum: 0.3 })
  t.same(scrape.histogram('h'), { count: 3, sum: 2.3 })
  t.equal(scrape.value('missing'), 0)
  t.throws(() => scrape.value('http_requests_total'), /2 samples/)
})

t.test('anything else is refused', async (t) => {
  const bad: [string, string][] = [
    ['no TYPE', 'x 1\n'],
    ['no final line feed', '# TYPE x gauge\nx 1'],
    ['bad value', '# TYPE x gauge\nx one\n'],
    ['bad label', '# TYPE x gauge\nx{1a="b"} 1\n'],
    ['unquoted label', '# TYPE x gauge\nx{a=b} 1\n'],
    ['unterminated label', '# TYPE x gauge\nx{a="b} 1\n'],
    ['bad escape', '# TYPE x gauge\nx{a="\\t"} 1\n'],
    ['trailing text', '# TYPE x gauge\nx 1 2 3\n'],
    ['unknown type', '# TYPE x meter\nx 1\n'],
    ['two TYPEs', '# TYPE x gauge\n# TYPE x gauge\nx 1\n'],
    ['family split', '# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\nx{a="b"} 2\n'],
    ['decreasing buckets', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
    ['no +Inf', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_sum 1\nh_count 2\n'],
    ['count is not +Inf', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n'],
    ['bare histogram sample', '# TYPE h histogram\nh 1\n'],
  ]
  for (const [what, text] of bad) t.throws(() => parseExposition(text), { name: 'ExpositionError' }, what)
})

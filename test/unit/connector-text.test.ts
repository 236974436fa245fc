import t from 'tap';
import { decodeEntities } from '../../engines/text/index.js';
import { htmlToText } from '../../ingest/connectors/html-text.js';
import { SseParser, type SseFrame } from '../../ingest/connectors/sse.js';

t.test('htmlToText strips tags, decodes entities and keeps line breaks as spaces', async (t) => {
  const r = htmlToText(
    '<p>Hello <span class="h-card"><a href="https://m.example/@bob" class="u-url mention">@<span>bob</span></a></span>,<br />fish &amp; chips &lt;3</p><p>See <a href="https://x.example/a?b=1&amp;c=2" rel="nofollow"><span class="invisible">https://</span><span class="ellipsis">x.example/a?b=1</span><span class="invisible">&amp;c=2</span></a></p>',
  );
  t.equal(r.text, 'Hello @bob, fish & chips <3 See https://x.example/a?b=1&c=2');
  t.same(r.links, [
    { href: 'https://m.example/@bob', className: 'u-url mention' },
    { href: 'https://x.example/a?b=1&c=2', className: '' },
  ]);
});

t.test('paragraphs and breaks separate words; inline tags do not', async (t) => {
  t.equal(htmlToText('<p>one</p><p>two<br>three</p>').text, 'one two three');
  t.equal(htmlToText('un<b>believ</b>able').text, 'unbelievable');
  t.equal(htmlToText('a<!-- hidden -->b').text, 'ab');
  t.equal(
    htmlToText('<a title="1 > 0" href="https://q.example/">q</a>').links[0]?.href,
    'https://q.example/',
  );
  t.equal(htmlToText('').text, '');
});

t.test('entities: numeric, hex, named, unknown and invalid', async (t) => {
  t.equal(decodeEntities('I&#39;m &#x1F600; &quot;ok&quot; &hellip; &nbsp;x'), 'I\'m 😀 "ok" … \u00A0x');
  t.equal(decodeEntities('&unknownentity; &amp'), '&unknownentity; &amp');
  t.equal(decodeEntities('&#xD800; &#0;'), '\uFFFD \uFFFD');
});

t.test('the SSE parser takes frames split anywhere, with LF or CRLF, and skips comments', async (t) => {
  const body =
    ':)\n:thump\nevent: update\ndata: {"id":"1"}\n\nevent: delete\r\ndata: 42\r\n\r\n' +
    'data: line one\ndata: line two\n\nevent: update\n\n: comment only\n\n';
  const want: SseFrame[] = [
    { event: 'update', data: '{"id":"1"}' },
    { event: 'delete', data: '42' },
    { event: 'message', data: 'line one\nline two' },
  ];
  for (const size of [1, 2, 3, 7, body.length]) {
    const p = new SseParser();
    const got: SseFrame[] = [];
    for (let i = 0; i < body.length; i += size) got.push(...p.push(body.slice(i, i + size)));
    t.same(got, want, `chunks of ${size}`);
    t.equal(p.buffered, 0);
  }
});

t.test('an unfinished line is held until it ends', async (t) => {
  const p = new SseParser();
  t.same(p.push('event: update\ndata: {"a"'), []);
  t.equal(p.buffered, 'data: {"a"'.length);
  t.same(p.push(':1}\n\n'), [{ event: 'update', data: '{"a":1}' }]);
});

t.test("a frame's data lines count as held until the blank line ends it", async (t) => {
  const p = new SseParser();
  for (let i = 0; i < 1000; i++) t.same(p.push('data: xxxxxxxxxx\n'), []);
  t.equal(p.buffered, 1000 * 11, 'many short lines and never a blank one: all of it is held');
  t.equal(p.push('\n').length, 1);
  t.equal(p.buffered, 0, 'the frame taken, nothing is held');
});

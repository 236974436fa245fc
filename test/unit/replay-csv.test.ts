import t from 'tap';
import { parseCsvRecord } from '../../ingest/replay/csv.js';
import { parseMapFlags } from '../../ingest/replay/mapping.js';
import { RecordSplitter, type FileFormat, type RawRecord } from '../../ingest/replay/records.js';
import { RowDecoder } from '../../ingest/replay/rows.js';

t.test('RFC 4180 fields: quotes, doubled quotes, commas and newlines inside quotes', async (t) => {
  t.same(parseCsvRecord('a,b,c'), { ok: true, fields: ['a', 'b', 'c'] });
  t.same(parseCsvRecord(''), { ok: true, fields: [''] });
  t.same(parseCsvRecord('a,,'), { ok: true, fields: ['a', '', ''] });
  t.same(parseCsvRecord('"a,b","say ""hi""",c'), { ok: true, fields: ['a,b', 'say "hi"', 'c'] });
  t.same(parseCsvRecord('"line 1\nline 2\r\nline 3",x'), {
    ok: true,
    fields: ['line 1\nline 2\r\nline 3', 'x'],
  });
  t.same(parseCsvRecord('""'), { ok: true, fields: [''] });
  t.same(parseCsvRecord('"",""'), { ok: true, fields: ['', ''] });
  t.same(
    parseCsvRecord('5" screen,ok'),
    { ok: true, fields: ['5" screen', 'ok'] },
    'a quote inside an unquoted field stays',
  );
  t.same(parseCsvRecord('"a"b,c'), {
    ok: false,
    detail: 'field 1 has text after its closing quote',
    openQuote: false,
  });
  t.same(parseCsvRecord('x,"open'), { ok: false, detail: 'field 2 has no closing quote', openQuote: true });
});

function split(format: FileFormat, bytes: Buffer, chunk: number, maxBytes?: number): RawRecord[] {
  const s = new RecordSplitter(format, 0, maxBytes);
  const out: RawRecord[] = [];
  for (let i = 0; i < bytes.length; i += chunk) out.push(...s.push(bytes.subarray(i, i + chunk)));
  out.push(...s.end());
  return out;
}

const plain = (r: RawRecord) => ({ ...r, bytes: r.bytes?.toString('utf8') });

t.test('rows are found the same whatever the chunk size, with offsets and lines', async (t) => {
  const csv = Buffer.from('id,text\n1,"multi\nline, with comma"\r\n2,"say ""x"""\n\n3,plain\n4,"cut off');
  const expected = [
    { offset: 0, length: 7, line: 1, bytes: 'id,text', terminated: true, openQuote: false },
    {
      offset: 8,
      length: 27,
      line: 2,
      bytes: '1,"multi\nline, with comma"\r',
      terminated: true,
      openQuote: false,
    },
    { offset: 36, length: 13, line: 4, bytes: '2,"say ""x"""', terminated: true, openQuote: false },
    { offset: 50, length: 0, line: 5, bytes: '', terminated: true, openQuote: false },
    { offset: 51, length: 7, line: 6, bytes: '3,plain', terminated: true, openQuote: false },
    { offset: 59, length: 10, line: 7, bytes: '4,"cut off', terminated: false, openQuote: true },
  ];
  for (const chunk of [1, 2, 3, 7, 1000])
    t.same(split('csv', csv, chunk).map(plain), expected, `chunks of ${chunk}`);
  for (const r of expected.slice(0, 5))
    t.equal(
      csv.subarray(r.offset, r.offset + r.length).toString(),
      r.bytes,
      'offset and length address the row',
    );

  const jsonl = Buffer.from('{"a":1}\n{"b":"x\\ny"}\r\n{"c":');
  for (const chunk of [1, 5, 1000])
    t.same(
      split('jsonl', jsonl, chunk).map(plain),
      [
        { offset: 0, length: 7, line: 1, bytes: '{"a":1}', terminated: true, openQuote: false },
        { offset: 8, length: 13, line: 2, bytes: '{"b":"x\\ny"}\r', terminated: true, openQuote: false },
        { offset: 22, length: 5, line: 3, bytes: '{"c":', terminated: false, openQuote: false },
      ],
      `jsonl in chunks of ${chunk}`,
    );
});

t.test('a row over the limit is reported without its bytes, and the next row is fine', async (t) => {
  const bytes = Buffer.from(`{"a":"${'x'.repeat(100)}"}\n{"b":1}\n`);
  const rows = split('jsonl', bytes, 16, 50);
  t.equal(rows.length, 2);
  t.equal(rows[0]!.bytes, undefined);
  t.equal(rows[0]!.length, 108);
  t.equal(rows[1]!.bytes?.toString(), '{"b":1}');
  t.equal(rows[1]!.line, 2);
});

t.test('RowDecoder: reasons for rows that cannot be read', async (t) => {
  const mapping = parseMapFlags([]);
  const ctx = { source: 'replay', name: 'f' };
  const row = (text: string | Buffer, terminated = true, openQuote = false) => ({
    bytes: Buffer.isBuffer(text) ? text : Buffer.from(text),
    line: 1,
    terminated,
    openQuote,
  });
  const json = new RowDecoder('jsonl', 'utf8', mapping, ctx);
  t.match(json.decode(row('{"text":"hi","ts":1242011860}\r')), { ok: true, event: { text: 'hi' } }, 'CRLF');
  t.match(json.decode(row('{"text":')), { ok: false, reason: 'invalid_json' });
  t.match(json.decode(row('{"text":', false)), { ok: false, reason: 'truncated' });
  t.match(json.decode(row('[1,2]')), {
    ok: false,
    reason: 'mapping_failed',
    detail: 'the line is an array, not an object',
  });
  t.match(json.decode(row('"str"')), { ok: false, reason: 'mapping_failed', detail: /a JSON string/ });
  const invalid = Buffer.concat([
    Buffer.from('{"text":"caf'),
    Buffer.from([0xe9]),
    Buffer.from('","ts":1242011860}'),
  ]);
  t.match(json.decode(row(invalid)), { ok: false, reason: 'invalid_utf8', detail: /--encoding latin1/ });
  t.match(json.decode({ bytes: undefined, line: 1, terminated: true, openQuote: false }), {
    ok: false,
    reason: 'line_too_long',
  });
  const latin1 = new RowDecoder('jsonl', 'latin1', mapping, ctx);
  t.match(latin1.decode(row(invalid)), { ok: true, event: { text: 'café' } }, 'the same bytes as Latin-1');

  const csv = new RowDecoder('csv', 'utf8', mapping, ctx);
  t.ok(csv.needsHeader);
  t.same(csv.header(row(' text , ts ')), ['text', 'ts'], 'header names are trimmed');
  t.match(csv.decode(row('"a, b",1242011860')), { ok: true, event: { text: 'a, b' } });
  t.match(csv.decode(row('a,1242011860,extra')), {
    ok: false,
    reason: 'bad_csv',
    detail: '3 fields where the header has 2',
  });
  t.match(csv.decode(row('"a"x,1')), { ok: false, reason: 'bad_csv', detail: /after its closing quote/ });
  t.match(csv.decode(row('"cut', false, true)), {
    ok: false,
    reason: 'truncated',
    detail: /inside a quoted field/,
  });
  t.match(csv.decode(row('only-one', false)), {
    ok: false,
    reason: 'truncated',
    detail: /the last row has 1 fields/,
  });
  const dup = new RowDecoder('csv', 'utf8', mapping, ctx);
  t.throws(() => dup.header(row('text,ts,text')), {
    name: 'ReplayError',
    message: /names the column "text" twice/,
  });
});

import t from 'tap';
import { detectLanguage } from '../../engines/sentiment/index.js';
import { tokenize } from '../../engines/text/index.js';

const guess = (text: string) => detectLanguage(tokenize(text));

t.test('posts in other languages are not supported', async (t) => {
  const cases: [string, string][] = [
    ['Me encanta el café de esta tienda, es muy bueno', 'es'],
    ['Je suis très content avec le service', 'fr'],
    ['Das ist nicht gut, ich bin enttäuscht', 'de'],
    ['Questo caffè è molto buono, grazie', 'it'],
    ['Eu adoro este café, muito bom mesmo', 'pt'],
    ['Ik vind het niet leuk, echt slecht', 'nl'],
    ['Kopi ini enak banget, saya suka', 'id'],
    ['Bu kahve çok güzel, teşekkürler', 'tr'],
    ['Это ужасный сервис', 'cyrl'],
    ['このコーヒーは美味しい', 'jpan'],
    ['这个咖啡很好喝', 'hani'],
    ['قهوة رائعة جدا', 'arab'],
    ['커피가 정말 맛있어요', 'hang'],
  ];
  for (const [text, language] of cases) t.same(guess(text), { language, supported: false }, text);
});

t.test('English posts are supported, including ones with foreign names and loanwords', async (t) => {
  for (const text of [
    'I love the new latte, best coffee in town',
    'Going to the La Liga game with Del Potro tonight',
    'The EST time for the Des Moines event is 7pm',
    'Gracias to the team at @acme for the fast refund!',
    "can't believe the café au lait is gone from the menu",
    'Watching Real Madrid vs Barcelona at the bar with the guys',
    'my order from Dunkin is late AGAIN 😡',
    'RT @user: new store opening in São Paulo next week',
  ])
    t.same(guess(text), { language: 'en', supported: true }, text);
});

t.test('too little text to tell is undetermined and scored', async (t) => {
  for (const text of ['', 'lol', '😀😀', 'http://x.com', '@acme #coffee', 'ok merci', '!!!', '\uD800'])
    t.same(guess(text), { language: 'und', supported: true }, JSON.stringify(text));
});

t.test('a few foreign letters in an English post do not make it foreign', async (t) => {
  t.equal(guess('Loved the crème brûlée and the jalapeño poppers at Zoë’s place').supported, true);
});

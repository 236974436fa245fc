import type { Token } from '../text/index.js';

/**
 * Is a post English? The sentiment models here are English only, so a post in another language is
 * marked unsupported instead of scored: a guess from English words would be noise in the brand's mean.
 *
 * A heuristic, not a trained language identifier, in two steps:
 * 1. Script: when most letters are in a non-Latin script (Cyrillic, Arabic, Han, ...), the post is
 *    not English.
 * 2. Function words: in Latin script, common short words that are frequent in one of eight other
 *    languages and rare in English ("el", "und", "tidak") are counted against English ones ("the",
 *    "and", "is"). Several foreign words and few English ones mean not English.
 * Posts with fewer than three words (emoji only, a link, "lol") are undetermined and scored: they
 * are mostly English in our traffic, and the tiers handle emoji and emoticons.
 */
export interface LanguageGuess {
  /** "en"; an ISO 639-1 code of a detected language; an ISO 15924 script code ("cyrl") when only the script is known; or "und". */
  language: string;
  /** Whether the English sentiment models may score the post ("und" counts as supported). */
  supported: boolean;
}

export const LANGUAGE_DETECTOR = 'langid-heuristic-v1';

const ENGLISH = words(`
  the and is are was were be been have has had do does did not you your it its this that these those
  with for from what when where who why how which there their they them he she his her we our us i my
  me an at by of to in on or if but so just about would could should will can all some any more very
  really than then too also only out up get got like one because been being im i'm it's don't can't
`);

// Accents are stripped (token norms are), so "está" is "esta" and "für" would be "fur" (left out).
const FOREIGN: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  [
    'es',
    words(`el la los las del que y en una por con para es se su como mas pero muy esta este fue hay tu
    te que porque tambien todo bien gracias hola esto eso siempre cuando donde estoy tengo hace
    ser estar ella ellos nosotros usted unos unas sus ahora hoy manana`),
  ],
  [
    'pt',
    words(`os uma dos das nao voce meu minha isso tambem ja tudo obrigado obrigada bom boa muito mais
    mas para por que esta sao foi ele ela nos eles seu sua quando onde ainda agora hoje sempre
    nada essa esse aqui`),
  ],
  [
    'fr',
    words(`le la les une des du que qui pas dans sur avec ce cette sont mais je tu il elle nous vous
    ils tres aussi merci bonjour c'est j'ai ne au aux mes leur ou tout bien fait etre avoir`),
  ],
  [
    'de',
    words(`der das und ist nicht ein eine auf ich du sie wir ihr es zu von auch noch sehr aber wie wenn
    nur schon danke bitte ja nein mein meine dein sind haben wird kann oder heute jetzt immer
    alles nichts`),
  ],
  [
    'it',
    words(`il lo gli della che sono questo questa molto anche piu io lui lei noi grazie ciao perche
    del della delle nel nella sul sulla una uno di cosa tutto sempre oggi ancora essere hanno mio mia`),
  ],
  [
    'nl',
    words(`het een en niet zijn maar ook als bij nog wel naar hij zij ik jij wij dit heb hebben wordt
    geen veel meer goed dank bedankt vandaag altijd waarom`),
  ],
  [
    'id',
    words(`yang dan ini itu dengan untuk tidak ada saya kamu aku akan dari ke juga sudah bisa karena
    apa kita mereka sangat terima kasih belum lagi banget gak nggak aja udah sama`),
  ],
  [
    'tr',
    words(`ve bir bu icin ile cok gibi daha var yok degil olarak tesekkurler bence cunku simdi nasil
    neden evet hayir sey`),
  ],
]);

/** Each foreign function word with the languages that use it, in FOREIGN's order: one lookup per token. */
const FOREIGN_BY_WORD: ReadonlyMap<string, readonly string[]> = (() => {
  const index = new Map<string, string[]>();
  for (const [language, list] of FOREIGN)
    for (const word of list) {
      const languages = index.get(word);
      if (languages) languages.push(language);
      else index.set(word, [language]);
    }
  return index;
})();

/** What a word counts for: English, and the foreign languages that use it. One lookup per token. */
const FUNCTION_WORDS: ReadonlyMap<string, { english: boolean; languages: readonly string[] }> = (() => {
  const index = new Map<string, { english: boolean; languages: readonly string[] }>();
  for (const word of ENGLISH) index.set(word, { english: true, languages: FOREIGN_BY_WORD.get(word) ?? [] });
  for (const [word, languages] of FOREIGN_BY_WORD)
    if (!index.has(word)) index.set(word, { english: false, languages });
  return index;
})();

/** Characters that English words almost never carry. */
const FOREIGN_LETTERS = /[ñ¿¡ãõßğışçœæøåäöüêâîôûèàùìòë]/i;

/** Scripts that are not English, by ISO 15924 code. Latin and "common" characters are not listed. */
const SCRIPTS: [string, RegExp][] = [
  ['cyrl', /\p{Script=Cyrillic}/u],
  ['grek', /\p{Script=Greek}/u],
  ['arab', /\p{Script=Arabic}/u],
  ['hebr', /\p{Script=Hebrew}/u],
  ['deva', /\p{Script=Devanagari}/u],
  ['beng', /\p{Script=Bengali}/u],
  ['thai', /\p{Script=Thai}/u],
  ['hang', /\p{Script=Hangul}/u],
  ['jpan', /[\p{Script=Hiragana}\p{Script=Katakana}]/u],
  ['hani', /\p{Script=Han}/u],
];
const LATIN = /\p{Script=Latin}/u;
const NON_LATIN_LETTER = /(?!\p{Script=Latin})\p{L}/u;

const MIN_WORDS = 3;

export function detectLanguage(tokens: Token[]): LanguageGuess {
  let latin = 0;
  let other = 0;
  let scripts: Map<string, number> | undefined;
  let wordCount = 0;
  let english = 0;
  let accented = 0;
  let foreign: Map<string, number> | undefined;

  for (const t of tokens) {
    if (t.kind !== 'word') continue;
    wordCount++;
    const first = t.text.charCodeAt(0);
    if (first < 0x80 && isAscii(t.text)) {
      latin += t.text.length;
    } else {
      for (const ch of t.text) {
        if (LATIN.test(ch)) latin++;
        else if (NON_LATIN_LETTER.test(ch)) {
          other++;
          for (const [code, re] of SCRIPTS) {
            if (re.test(ch)) {
              scripts ??= new Map();
              scripts.set(code, (scripts.get(code) ?? 0) + 1);
              break;
            }
          }
        }
      }
      if (FOREIGN_LETTERS.test(t.text)) accented++;
    }
    const known = FUNCTION_WORDS.get(t.norm);
    if (known === undefined) continue;
    if (known.english) english++;
    for (const language of known.languages) {
      foreign ??= new Map();
      foreign.set(language, (foreign.get(language) ?? 0) + 1);
    }
  }

  if (other >= 2 && other > latin) {
    let script = 'other';
    let most = 0;
    for (const [code, n] of scripts ?? []) {
      if (n > most) {
        most = n;
        script = code;
      }
    }
    return { language: script, supported: false };
  }
  if (wordCount < MIN_WORDS) return { language: 'und', supported: true };

  let best = '';
  let votes = 0;
  for (const [language, n] of foreign ?? []) {
    if (n > votes) {
      votes = n;
      best = language;
    }
  }
  const evidence = votes + 0.5 * accented;
  if (evidence >= 2 && evidence >= 2 * english + 1 && evidence >= 0.25 * wordCount)
    return { language: best || 'und', supported: false };
  return { language: 'en', supported: true };
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function words(list: string): ReadonlySet<string> {
  return new Set(list.trim().split(/\s+/));
}

import { VADER_WORDS } from './vader-lexicon.js';

/**
 * Sentiment valences for the rules scorer, on a -4 (worst) .. +4 (best) scale.
 *
 * Two sources. The base is the VADER lexicon (MIT, see vader-lexicon.ts): about 6,500 words rated
 * by human raters. Over it go the words below, written for this project for brand talk on social
 * media: product, service and delivery words, plus the slang and abbreviations people post; where
 * both have a word, ours wins. Words whose sense flips with context are taken out of both (see
 * AMBIGUOUS): a missing word costs less than a confidently wrong one.
 * Keys are token norms (lower case, no accents, apostrophes as "'"). Each line: a valence, then the
 * entries that have it.
 */

const WORDS = `
  3.2 love excellent best
  3.1 great awesome superb outstanding magnificent
  3.0 gorgeous flawless fabulous terrific marvelous heavenly
  2.9 loved wonderful fantastic beautiful loving adore
  2.8 amazing brilliant lovely thrilled delighted incredible stunning adored
  2.7 loves perfect happy joy joyful lovin
  2.6 adorable beloved congratulations luv gr8 goated
  2.5 winner success congrats
  2.4 win yay woohoo hooray epic legendary genius successful celebrate celebration paradise valuable
  2.3 fun excited stoked thankful grateful wholesome cheerful inspiring talented celebrating
  2.2 enjoy enjoyed delicious winning exciting blessed favorite favourite kudos praise fascinating
  2.2 satisfying charming yummy tasty bravo
  2.1 impressed pleasant elegant admire
  2.0 glad pleased friendly proud wow cute sweet smile smiling caring inspired refreshing heaven
  2.0 banger bussin hug hugs tysm enjoying won
  1.9 good better funny helpful hyped supportive smiles optimistic
  1.8 nice satisfied recommend reliable lol lmao lmfao rofl lit dope fav fave hahaha laugh laughing
  1.8 stylish classy relieved kiss hopeful confident loyal slaps innovative efficient impressive
  1.8 liked motivated energized
  1.7 recommended improved respect clever smart trusted promising
  1.6 cheers haha thanks thx useful comfortable comfy hope trust relief wise relaxed bonus interesting
  1.6 worthy skilled
  1.5 easy affordable gift improvement bargain thank
  1.4 hehe safe resolved improve ty
  1.3 cool smooth solid fair secure
  1.2 decent fresh fixed worth premium fancy party calm
  1.0 yes fast upgrade
  0.9 ok okay quick
  0.8 fine
  1.8 xx
  1.6 birthday

  -0.6 sorry waiting why
  -0.8 anymore
  -0.9 meh
  -1.0 late expensive pricey joke unsubscribe warning
  -1.2 bug bugs issue issues refund refunds sigh tired lag missing delays
  -1.3 glitch confused slower difficult shocked weak mediocre uninstall uninstalled
  -1.4 slow delay error errors smh yikes confusing lost loss losses cancellation ban
  -1.5 broke bored delayed boo lawsuit sue leak leaked worries
  -1.6 avoid cancelled canceled lose losing inconvenient worry anxious unfortunately lazy exhausted
  -1.6 ignoring banned subpar
  -1.7 problem problems complain complaining glitchy ugh spam spammy dislike disliked lame ignored
  -1.7 unfortunate inferior unsatisfied
  -1.8 complaint mistake mess chaos sketchy ridiculous scared afraid worried worrying sadly beware
  -1.8 overpriced stress cried shocking virus fired
  -1.9 buggy laggy crying cringe cringey dumb stressed
  -2.0 broken crash crashes crashing suck crap wrong junk fake shady fail fails mad annoyed upset
  -2.0 unreliable fear stressful pain cry regret unfair boycott embarrassing shame wtf faulty layoffs
  -2.0 insult hell brutal
  -2.1 crashed failed failing sad misleading hurt hurts unsafe steal stole defective dissatisfied
  -2.1 irritating
  -2.2 outage outages trash useless stupid idiot idiots poor angry annoying frustrated greedy greed
  -2.2 rude outrageous breach malware lousy offensive crisis shit
  -2.3 worse unhappy ugly gross sucks crappy painful disappointed hacked insulting fml loser losers
  -2.4 garbage frustrating disappointing disappointment failure toxic stolen theft dangerous lying
  -2.4 bankrupt unusable
  -2.5 bad nasty unacceptable pissed fuck outraged
  -2.6 worthless incompetent pathetic ripoff rage shitty
  -2.7 nightmare disgusted horrified shameful disgrace bullshit
  -2.8 liar hates scammed abuse abusive
  -2.9 scam hated scams disaster dreadful
  -3.0 hate disgusting furious fraud fraudulent scammer evil abysmal hatred racist hateful
  -3.1 terrible awful horrendous atrocious
  -3.2 horrible worst
`;

const EMOJI = `
  2.8 😍 🥰 😻
  2.6 ❤ 💕 💖 💗 💓 💞 💘 💝 💙 💚 💛 💜 🧡 🤍 🤎 ♥
  2.5 🤩 🥳
  2.2 😀 😃 😄 😁 😊 ☺ 😘 🎉 🎊 😇
  2.0 👍 🙌 🤗
  1.8 😆 🤣 😂 👏 😋 💯 😎
  1.6 💪 🙏 🏆 🥇 🐐 🚀 🌟 ⭐ 😹
  1.4 🔥 ✨ ✅ 🙂 😉 😛 😜
  1.0 👌 😅
  -0.8 😬
  -1.0 🙃 😷
  -1.2 😕 🙄 🤡 ❌ ⚠
  -1.5 😒 😤 😟 🤦 😱 🙁
  -1.8 😩 😫 😔 😞 😿 😾 😨 😰 💩 👎 ☹
  -2.0 😢 😭 😖 😣 🤢
  -2.4 😠 💔 😡
  -2.8 🤬 🤮 🖕
`;

const EMOTICONS = `
  2.6 <3
  2.4 :d :-d =d xd ^_^
  2.0 :) :-) =) :] :')
  1.6 ;) ;-) ;d :3 :* :-* ^^
  1.2 :p :-p ;p
  -1.0 :/ :-/ :\\ :s
  -1.2 :| :-| -_-
  -2.0 :( :-( =( :[ ;( :@
  -2.4 :'( :'-( t_t
  -2.6 >:( >:-( </3
`;

function parse(table: string): ReadonlyMap<string, number> {
  const valences = new Map<string, number>();
  for (const line of table.split('\n')) {
    const [valence, ...entries] = line.trim().split(/\s+/);
    if (!valence) continue;
    const value = Number(valence);
    for (const entry of entries) valences.set(entry, value);
  }
  return valences;
}

/**
 * Words VADER rates that mislead more than they help in posts: names and titles ("United", "Star
 * Wars", "Foo Fighters", "Taylor Swift", "Super Bowl"), fillers ("like", "kind of", "no school
 * tomorrow"), phrases whose sense turns on the next word ("don't miss", "don't forget", "take care",
 * "doesn't matter", "on the other hand") and typing slips ("ill" for "I'll"). "like" counts after a
 * subject (see LIKE_AFTER); "no" still negates.
 */
export const AMBIGUOUS = wordSet(`
  like miss forget wars fighters united hand swift security spirit matter truth justice mercy clear rich
  care save kind pls giving agree feeling works surprised no super l fu ill devil fire drop leave pay
  hard trick idk limited
`);

/** "like" is a sentiment word after these ("I like it", "really like"), a filler elsewhere. */
export const LIKE_AFTER = wordSet(`
  i we you they really totally so also still do does did would i'd we'd definitely just
`);

/**
 * Two-word phrases that mean something their words do not: the first word is no negator here
 * ("can't wait" is eager, not negated waiting).
 */
export const IDIOMS: ReadonlyMap<string, ReadonlyMap<string, number>> = new Map([
  [
    'wait',
    new Map([
      ["can't", 2.2],
      ['cant', 2.2],
      ['cannot', 2.2],
    ]),
  ],
  [
    'forward',
    new Map([
      ['look', 2.0],
      ['looking', 2.0],
      ['looks', 2.0],
    ]),
  ],
]);

export const WORD_VALENCES: ReadonlyMap<string, number> = (() => {
  const merged = new Map(parse(VADER_WORDS));
  for (const [word, valence] of parse(WORDS)) merged.set(word, valence);
  for (const word of AMBIGUOUS) merged.delete(word);
  return merged;
})();
export const EMOJI_VALENCES = parse(EMOJI);
export const EMOTICON_VALENCES = parse(EMOTICONS);

/** Words that strengthen the sentiment word after them ("very good"). */
export const INTENSIFIERS = wordSet(`
  very really so extremely super totally absolutely completely incredibly insanely truly utterly highly
  hugely deeply especially exceptionally particularly remarkably seriously thoroughly tremendously
  unbelievably ridiculously fully entirely such most hella mega freaking fricking friggin fucking
`);

/** Words that soften the sentiment word after them ("slightly annoying"). */
export const DAMPENERS = wordSet(`
  slightly kinda sorta somewhat barely hardly marginally partly partially mildly almost little scarcely
`);

/** Words that negate the next few words; words ending in "n't" negate as well. */
export const NEGATORS = wordSet(`
  not no never none nobody nothing neither nor nowhere cannot without aint dont doesnt didnt isnt
  wasnt arent werent cant couldnt wont wouldnt shouldnt havent hasnt hadnt neednt mustnt
`);

/** Words after which the rest of the sentence carries more weight than what came before. */
export const CONTRAST = wordSet('but however');

function wordSet(words: string): ReadonlySet<string> {
  return new Set(words.trim().split(/\s+/));
}

import type { SentimentLabel } from '../../../stream/model/index.js';

/**
 * The everyday vocabulary of posts about coffee brands: the `general` topic. Placeholders: {1} first
 * brand, {2} second brand, {p} product, {n} a number. Digits survive toUpperCase, so shouting a
 * template never breaks its placeholders.
 */

export const PRODUCTS = [
  'latte',
  'flat white',
  'cold brew',
  'cappuccino',
  'oat milk cortado',
  'mocha',
  'espresso',
  'chai latte',
  'croissant',
  'blueberry muffin',
  'iced americano',
  'breakfast sandwich',
];

export const BRAND_TEMPLATES: Record<SentimentLabel, readonly string[]> = {
  positive: [
    '{1} nailed my {p} again this morning',
    'honestly the best {p} in town is at {1}',
    'shoutout to the barista at {1} who remembered my order',
    'the new seasonal menu at {1} is so good',
    'love the vibe at {1}, perfect spot to work',
    'got my {p} from {1} in under {n} minutes, great service',
    'the {p} at {1} is worth every penny',
    'the staff at {1} are always so friendly',
    'thanks {1} for fixing my order without any fuss',
    'weekend plans: {p} at {1} and a good book',
    'the {1} app made ordering ahead super easy today',
    '{1} rewards just gave me a free {p}, great start to the day',
    'nothing beats {1} on a rainy day',
    'obsessed with the {p} at {1}',
    '{1} delivery showed up early and still hot, impressed',
  ],
  neutral: [
    'grabbing a {p} at {1} before the meeting',
    'does {1} have oat milk at every location?',
    '{1} opens a new store downtown next week',
    'anyone know what time {1} closes on sundays?',
    'at {1} again, the usual {p}',
    '{1} changed their cup design',
    'trying the {p} at {1} for the first time',
    'meeting a friend at {1} in {n} minutes',
    'is the {1} on main street open today?',
    '{1} posted their holiday hours',
    'reading about the {1} expansion plans',
    '{1} is testing a new loyalty program',
    'line at {1} is about {n} people right now',
    'which {1} drink has the least sugar?',
  ],
  negative: [
    'the {1} app is down again and I cannot order anything',
    'still waiting on my refund from {1}, it has been {n} days',
    'the staff at {1} were so rude to me today',
    'the machine at {1} was broken so no {p} for me',
    '{1} delivery is {n} minutes late and my {p} is cold',
    '{1} got my order wrong for the third time this week',
    '{1} charged me twice for one {p}, I want my money back',
    'waited {n} minutes at {1} for a single {p}, never again',
    'the {p} at {1} tasted burnt, so disappointed',
    '{1} customer service has not answered my email in {n} days',
    '{1} cancelled my order and kept the money',
    'worst {p} I have had in years, thanks {1}',
    'dirty tables and sticky floors at {1} today, not great',
    '{1} raised prices again and the cups got smaller',
    '{1} support keeps closing my ticket without a refund',
  ],
};

export const COMPARISON_TEMPLATES: Record<SentimentLabel, readonly string[]> = {
  positive: [
    'switched from {2} to {1} and never looking back',
    '{1} beats {2} on {p} every single time',
    'tried {2} but {1} still makes the best {p}',
    '{1} over {2} any day, the {p} is just better',
  ],
  neutral: [
    '{1} or {2} for a {p} today?',
    'comparing the {p} at {1} and {2} this week',
    '{1} and {2} both opened stores on my street',
    'is {1} cheaper than {2} for a {p}?',
  ],
  negative: [
    '{1} is so much worse than {2} lately',
    'went to {1} instead of {2}, big mistake',
    '{1} is pricier than {2} and the {p} is worse',
    'used to love {1} but it is slow and rude now, back to {2}',
  ],
};

export const BRANDLESS_TEMPLATES: Record<SentimentLabel, readonly string[]> = {
  positive: [
    'nothing beats a good {p} on a cold morning',
    'found a tiny cafe with an amazing {p}',
    'coffee with friends is the best part of the weekend',
    'finally made a decent {p} at home, so happy',
  ],
  neutral: [
    'need a {p} before this meeting',
    'working from a cafe today',
    'how many coffees a day is too many?',
    'trying to cut back to one {p} a day',
  ],
  negative: [
    'spilled my {p} all over my laptop, great start',
    'my favourite cafe closed down, so sad',
    'why is every {p} so expensive now',
    'the coffee machine at work is broken again',
  ],
};

export const GENERIC_HASHTAGS = [
  'coffee',
  'latte',
  'espresso',
  'service',
  'breakfast',
  'morning',
  'cafe',
  'barista',
  'coldbrew',
  'customerservice',
];

export const EMOJI: Record<SentimentLabel, readonly string[]> = {
  positive: ['☕', '😍', '🙌', '👍', '❤️', '✨', '😊'],
  neutral: ['☕', '🤔', '📍', '👀'],
  negative: ['😡', '👎', '😤', '🤬', '💔', '😞'],
};

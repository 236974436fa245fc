/** A topic's own words: templates per true label and hashtags (without the `#`). */
export interface TopicMaterial {
  positive: readonly string[];
  neutral: readonly string[];
  negative: readonly string[];
  hashtags: readonly string[];
}

/**
 * Topics a scenario can use without defining them. Every template names the topic's key terms
 * (outage, recall, price hike, data breach, seasonal menu, points, compostable, grand opening…),
 * which no other topic's templates use, so the posts of one topic cluster together and a topic
 * detector can find them. The first four are what spikes are about by default (their negative
 * templates are the complaints of a spike).
 */
export const BUILTIN_TOPICS: Readonly<Record<string, TopicMaterial>> = {
  outage: {
    negative: [
      '{1} app outage, cannot order or pay for anything',
      'is the {1} app down for everyone? outage since this morning',
      '{1} payment system down, outage at every store near me',
      'another {1} outage, the app just shows an error',
      '{1} outage means no mobile orders today, unbelievable',
      'the {1} app crashed again, this outage is ridiculous',
    ],
    positive: [
      '{1} fixed the outage fast, mobile orders work again',
      'the {1} app is back after the outage, thanks for the quick fix',
      '{1} gave everyone a free {p} after the outage, nice touch',
    ],
    neutral: [
      'is the {1} outage over yet?',
      '{1} says the app outage is fixed',
      'the {1} status page still lists an outage',
    ],
    hashtags: ['outage', 'down'],
  },
  recall: {
    negative: [
      '{1} recall on their {p}, glad I did not drink it',
      'just saw the {1} recall notice, contaminated batch',
      '{1} recall: check your bags of beans, contaminated',
      'the {1} recall is all over the news, how did this happen',
      'returned my {1} beans after the recall, not buying again',
    ],
    positive: [
      '{1} handled the recall well, full refund and an apology',
      'credit to {1} for a quick recall of the contaminated batch',
    ],
    neutral: [
      '{1} recall: which batches are affected?',
      '{1} posted the recall details on their site',
      'does the {1} recall include the decaf beans?',
    ],
    hashtags: ['recall', 'foodsafety'],
  },
  'price-hike': {
    negative: [
      '{1} price hike again, {n} percent more for the same {p}',
      '{1} raised prices overnight, this price hike is outrageous',
      'another {1} price hike, a {p} costs a fortune now',
      'the {1} price hike is the last straw, cancelling my membership',
      'paying {n} percent more at {1} after the price hike, no thanks',
    ],
    positive: [
      'even after the price hike the {p} at {1} is worth it',
      '{1} kept the small {p} out of the price hike, thank you',
    ],
    neutral: [
      'how much is a {p} at {1} after the price hike?',
      'the {1} price hike starts next week',
      '{1} explains the price hike with bean costs',
    ],
    hashtags: ['pricehike', 'inflation'],
  },
  'data-breach': {
    negative: [
      '{1} data breach leaked my card details',
      'got an email from {1} about a data breach, changing passwords now',
      '{1} data breach exposed rewards accounts, nobody told us for weeks',
      'after the {1} data breach I deleted the app',
      'the {1} data breach is a disaster, where is the apology',
    ],
    positive: [
      '{1} was upfront about the data breach, respect',
      '{1} paid for credit monitoring after the data breach, good move',
    ],
    neutral: [
      '{1} data breach: did anyone else get the email?',
      '{1} says the data breach is contained',
      'what data was in the {1} data breach?',
    ],
    hashtags: ['databreach', 'privacy'],
  },
  'seasonal-menu': {
    positive: [
      'the pumpkin spice {p} at {1} is back and it is perfect',
      'the {1} seasonal menu has a winter blend I love',
      'limited edition gingerbread {p} at {1}, so good',
    ],
    neutral: [
      'when does the {1} seasonal menu start?',
      'is the pumpkin spice {p} at {1} a limited edition?',
      'the {1} seasonal menu drops next week',
    ],
    negative: [
      'the {1} seasonal menu is just the usual {p} with syrup',
      'the pumpkin spice {p} at {1} tastes like a candle',
      '{1} sold out of the limited edition winter blend already',
    ],
    hashtags: ['seasonalmenu', 'pumpkinspice'],
  },
  loyalty: {
    positive: [
      '{1} points just paid for my {p}',
      'made gold tier with {1} points this year',
      'double stars day at {1}, the points add up fast',
    ],
    neutral: [
      'how many {1} points for a free {p}?',
      '{1} is changing the points tiers',
      'do {1} stars and points expire?',
    ],
    negative: [
      '{1} devalued the points again',
      'my {1} stars and points vanished from my account',
      'the new {1} points tiers are a downgrade',
    ],
    hashtags: ['loyalty', 'points'],
  },
  sustainability: {
    positive: [
      'love that {1} gives a discount for a reusable cup',
      '{1} switched to compostable cups, finally',
      'the {1} recycling scheme for coffee grounds is great',
    ],
    neutral: [
      'are the {1} cups compostable or just recyclable?',
      '{1} published its sustainability report',
      'does {1} still use plastic lids?',
    ],
    negative: [
      '{1} still puts plastic lids on every cup',
      'the {1} compostable cups go straight into landfill',
      '{1} is greenwashing with that sustainability pledge',
    ],
    hashtags: ['sustainability', 'reusablecup'],
  },
  'store-opening': {
    positive: [
      'the grand opening of the new {1} store was so fun',
      'free {p} at the {1} grand opening today',
      'the new {1} store on elm street looks beautiful',
    ],
    neutral: [
      'new {1} store opening on elm street',
      'the {1} grand opening is on saturday',
      'which {1} store opens next, the mall or the station?',
    ],
    negative: [
      'the queue at the {1} grand opening was chaos',
      'parking at the new {1} store is impossible',
      'the new {1} store opening closed our local bakery',
    ],
    hashtags: ['grandopening', 'newstore'],
  },
};

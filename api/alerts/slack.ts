import type { Delivery } from './delivery.js';
import { summarize, truncate } from './payload.js';

/** A Slack incoming-webhook message (also read by Mattermost and Rocket.Chat): `text` is the fallback. */
export interface SlackMessage {
  text: string;
  blocks: Record<string, unknown>[];
}

const ICONS = { opened: ':rotating_light:', escalated: ':rotating_light:', resolved: ':white_check_mark:' };

/** Slack's mrkdwn treats these three as control characters. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function slackMessage(d: Delivery): SlackMessage {
  const s = summarize(d);
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(s.title, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: escape(s.summary) } },
    {
      type: 'section',
      fields: s.facts.map(([label, value]) => ({ type: 'mrkdwn', text: `*${label}*\n${escape(value)}` })),
    },
  ];
  if (s.top_terms.length > 0)
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*Top negative terms:* ${escape(s.top_terms.join(', '))}` },
    });
  if (s.samples.length > 0)
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(
          s.samples.map((t) => `> ${escape(truncate(t, 280).replace(/\n/g, ' '))}`).join('\n'),
          2900,
        ),
      },
    });
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `Pulsewatch · delivery ${d.id}` }],
  });
  return { text: `${ICONS[d.notification]} ${escape(s.title)}`, blocks };
}

export { signPayload, verifySignature, WebhookHeaders, SIGNATURE_VERSION } from './signature.js';
export {
  deliveryId,
  DeliveryError,
  type ChannelName,
  type Delivery,
  type DeliveryChannel,
} from './delivery.js';
export { alertNotification, type AlertNotification } from './payload.js';
export { slackMessage, type SlackMessage } from './slack.js';
export { WebhookChannel, type WebhookChannelOptions } from './webhook.js';
export { EmailChannel, emailMessage, type EmailChannelOptions } from './email.js';
export {
  DeliveryEvents,
  type DeliveryEvent,
  type DeliveryOutcome,
  type SkipEvent,
  type SkipReason,
} from './delivery-events.js';
export { DeliveryQueue } from './delivery-queue.js';
export { Notifier, DELIVERY_DEAD_LETTER_STAGE, type NotifierLog, type NotifierOptions } from './notifier.js';

export { parseWindow, TumblingWindowAssigner, windowLabel, type WindowSpec } from './assigner.js';
export { WatermarkTracker } from './watermark.js';
export {
  WindowOperator,
  type Aggregator,
  type WindowEmission,
  type WindowOperatorOptions,
} from './operator.js';

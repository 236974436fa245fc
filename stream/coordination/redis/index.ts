export { RedisCoordinator, type RedisCoordinatorOptions } from './coordinator.js';

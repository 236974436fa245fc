import t from 'tap';
import { MemoryCoordinator } from '../../stream/index.js';
import { coordinatorContract } from './coordinator-contract.js';

coordinatorContract(t, 'in-memory coordinator', async () => new MemoryCoordinator());

import t from 'tap';
import { MemoryBus } from '../../stream/index.js';
import { busContract } from './bus-contract.js';

busContract(t, 'in-process bus', async () => new MemoryBus());

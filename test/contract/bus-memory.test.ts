import t from 'tap';
import { MemoryBus } from '../../stream/index.js';
import { busContract } from './bus-contract.js';
import { busPositionsContract } from './bus-positions-contract.js';

busContract(t, 'in-process bus', async () => new MemoryBus());

busPositionsContract(t, 'in-process bus', async () => new MemoryBus());

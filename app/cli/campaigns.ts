import { readFile } from 'node:fs/promises';
import {
  parsePriors,
  priorsByCampaign,
  PriorsFileError,
  RedisCampaignStore,
  type PriorLine,
} from '../../stream/index.js';
import { consoleOutput, parseCommand, type CommandOutput } from '../flags.js';

/**
 * `pulsewatch campaigns priors load|show`: precomputed priors (an arm's expected reward, worth `n`
 * observations) into the campaign state in Redis, which every API replica reads in services mode.
 */
export const USAGE = `usage: pulsewatch campaigns priors <command> [options]

  load --file FILE        load a priors file (JSON lines: {"campaign","arm","segment"?,"mean","n"});
                          a prior replaces the one of the same campaign, segment and arm, others stay
  show CAMPAIGN           print a campaign's priors, as lines of a priors file

  --redis-url URL         Redis (default $PW_REDIS_URL or redis://127.0.0.1:6379)
  --redis-prefix P        prefix of every Redis key, as the servers' --redis-prefix
                          (default $PW_REDIS_PREFIX or pw:)`;

const OPTIONS = {
  file: { type: 'string' },
  'redis-url': { type: 'string', default: process.env.PW_REDIS_URL ?? 'redis://127.0.0.1:6379' },
  'redis-prefix': { type: 'string', default: process.env.PW_REDIS_PREFIX ?? 'pw:' },
  help: { type: 'boolean', default: false },
} as const;

export async function runCampaigns(args: string[], io: CommandOutput = consoleOutput): Promise<number> {
  const parsed = parseCommand(args, OPTIONS, USAGE, io);
  if (parsed === undefined) return 2;
  const { values, positionals, usage } = parsed;
  const [group, command, ...rest] = positionals;
  if (values.help || group === 'help' || command === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (group === undefined) return usage('a command is needed: priors load or priors show');
  if (group !== 'priors') return usage(`unknown command "${group}"; use priors load or priors show`);
  if (command === undefined) return usage('priors needs a command: load or show');
  const redisOptions = { url: values['redis-url'], prefix: values['redis-prefix'] };
  switch (command) {
    case 'load': {
      if (rest.length > 0) return usage(`unexpected argument "${rest[0]}"`);
      if (!values.file) return usage('load needs --file FILE');
      let lines: PriorLine[];
      try {
        lines = parsePriors(await readFile(values.file, 'utf8'), values.file);
      } catch (err) {
        if (err instanceof PriorsFileError) {
          io.err(`${err.message}\nnothing loaded`);
          return 2;
        }
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ENOENT' || e.code === 'EISDIR' || e.code === 'EACCES')
          return usage(`cannot read ${values.file}: ${e.message}`);
        throw err;
      }
      const byCampaign = priorsByCampaign(lines);
      if (byCampaign.size === 0) {
        io.err(`${values.file} has no priors: nothing loaded`);
        return 0;
      }
      return withStore(redisOptions, io, async (store) => {
        for (const [campaign, priors] of byCampaign) {
          await store.setPriors(campaign, priors);
          io.out(`${campaign}: ${priors.length} prior${priors.length === 1 ? '' : 's'}`);
        }
      });
    }
    case 'show': {
      const [campaign, ...extra] = rest;
      if (campaign === undefined) return usage('show needs a CAMPAIGN');
      if (extra.length > 0) return usage(`unexpected argument "${extra[0]}"`);
      if (values.file) return usage('show takes no --file');
      return withStore(redisOptions, io, async (store) => {
        const priors = await store.priors(campaign);
        if (priors.length === 0) io.err(`campaign "${campaign}" has no priors`);
        for (const p of priors)
          io.out(
            JSON.stringify({
              campaign,
              arm: p.arm,
              ...(p.segment !== undefined && { segment: p.segment }),
              mean: p.mean,
              n: p.n,
            }),
          );
      });
    }
    default:
      return usage(`unknown command "priors ${command}"; use priors load or priors show`);
  }
}

/** Runs `fn` with a store, then closes it; Redis failing is exit code 1, with the reason on stderr. */
async function withStore(
  o: { url: string; prefix: string },
  io: CommandOutput,
  fn: (store: RedisCampaignStore) => Promise<void>,
): Promise<number> {
  const store = new RedisCampaignStore({ ...o, redis: { maxRetriesPerRequest: 1 } });
  try {
    await fn(store);
    return 0;
  } catch (err) {
    io.err(`Redis at ${o.url} failed: ${(err as Error).message}`);
    return 1;
  } finally {
    await store.close();
  }
}

#!/usr/bin/env node
import { ConfigError, helpText, loadConfig } from './config.js';
import { startApp } from './compose.js';
import { readyLine } from './process.js';
import { runIngest } from './cli/ingest.js';
import { runKeys } from './cli/keys.js';
import { runCampaigns } from './cli/campaigns.js';

async function main(argv: string[]): Promise<number> {
  const [command = 'start', ...rest] = argv;
  if (command === 'ingest') return runIngest(rest);
  if (command === 'keys') return runKeys(rest);
  if (command === 'campaigns') return runCampaigns(rest);
  if (command === 'help' || command === '--help' || rest.includes('--help')) {
    console.log(helpText());
    return 0;
  }
  if (command !== 'start') {
    console.error(`unknown command "${command}"; commands: start, ingest, keys, campaigns, help`);
    return 2;
  }
  const config = loadConfig(rest, process.env);
  const running = await startApp(config);
  console.log(readyLine(config.mode, running.url));
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    await running.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof ConfigError) console.error(`configuration error: ${err.message}`);
    else console.error(err);
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);

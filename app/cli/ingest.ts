/**
 * `pulsewatch ingest <connector> ...`: runs one connector on its own and posts what it reads to a
 * running Pulsewatch over HTTP, so it works the same against the embedded default and services mode.
 */
type Subcommand = { summary: string; run: (args: string[]) => Promise<number> };

const SUBCOMMANDS: Record<string, () => Promise<Subcommand>> = {
  // Each connector registers one line here: name -> lazy import of its CLI module.
  synthetic: () => import('./synthetic.js'),
  truth: () => import('./truth.js'),
  replay: () => import('./replay.js'),
  mastodon: () => import('./mastodon.js'),
  bluesky: () => import('./bluesky.js'),
};

export function ingestHelp(): string {
  const names = Object.keys(SUBCOMMANDS).sort();
  return `usage: pulsewatch ingest <connector> [options]   (pulsewatch ingest <connector> --help for its options)
connectors: ${names.join(', ')}`;
}

export async function runIngest(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === 'help') {
    console.log(ingestHelp());
    return name === undefined ? 2 : 0;
  }
  const load = SUBCOMMANDS[name];
  if (!load) {
    console.error(`unknown connector "${name}"\n${ingestHelp()}`);
    return 2;
  }
  return (await load()).run(rest);
}

import { addKey, KeyFileError, parseScopes, readKeyFile, removeKey, SCOPES } from '../../api/index.js';
import { consoleOutput, parseCommand, type CommandOutput } from '../flags.js';

/**
 * `pulsewatch keys add|list|remove`: manages the key file that `--api-keys-file` reads. A new key is
 * printed once, on stdout alone (so `KEY=$(pulsewatch keys add …)` works); the file keeps its digest.
 */
export const USAGE = `usage: pulsewatch keys <command> --file FILE [options]

  add --name NAME --scopes SCOPE[,SCOPE]   create a key, print it once, store only its SHA-256 digest
  list                                     names and scopes (never a key)
  remove --name NAME                       delete a key; restart the servers to apply

  --file FILE   the key file (default $PW_API_KEYS_FILE); add creates it, with mode 600
scopes: ${SCOPES.join(', ')} (admin has every scope)`;

const OPTIONS = {
  file: { type: 'string', default: process.env.PW_API_KEYS_FILE ?? '' },
  name: { type: 'string' },
  scopes: { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

export async function runKeys(args: string[], io: CommandOutput = consoleOutput): Promise<number> {
  const parsed = parseCommand(args, OPTIONS, USAGE, io);
  if (parsed === undefined) return 2;
  const { values, positionals, usage } = parsed;
  const [command, ...extra] = positionals;
  if (values.help || command === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (command === undefined) return usage('a command is needed: add, list or remove');
  if (extra.length > 0) return usage(`unexpected argument "${extra[0]}"`);
  if (!values.file) return usage('--file FILE is needed (or set PW_API_KEYS_FILE)');
  const file = values.file;
  try {
    switch (command) {
      case 'add': {
        if (!values.name) return usage('add needs --name NAME');
        if (!values.scopes) return usage(`add needs --scopes, some of ${SCOPES.join(', ')}`);
        let scopes;
        try {
          scopes = parseScopes(values.scopes);
        } catch (err) {
          return usage(`--scopes: ${(err as Error).message}`);
        }
        const key = await addKey(file, values.name, scopes);
        io.out(key);
        io.err(
          `added "${values.name}" (${scopes.join(', ')}) to ${file}. This is the only time the key is shown: ` +
            'store it now. Restart the servers to apply.',
        );
        return 0;
      }
      case 'list': {
        const { keys } = await readKeyFile(file);
        if (keys.length === 0) io.err(`${file} has no keys`);
        const width = Math.max(4, ...keys.map((k) => k.name.length));
        if (keys.length > 0) io.out(`${'name'.padEnd(width)}  ${'scopes'.padEnd(24)}  created`);
        for (const k of keys)
          io.out(`${k.name.padEnd(width)}  ${k.scopes.join(',').padEnd(24)}  ${k.created}`);
        return 0;
      }
      case 'remove': {
        if (!values.name) return usage('remove needs --name NAME');
        const left = await removeKey(file, values.name);
        io.err(`removed "${values.name}" from ${file}. Restart the servers to apply.`);
        if (left === 0)
          io.err(
            `warning: that was the last key: ${file} holds none now, and a server started with ` +
              `--api-keys-file ${file} refuses to start (it would run open). Add a key with ` +
              `pulsewatch keys add --file ${file} --name <name> --scopes admin, or drop --api-keys-file ` +
              'to run open on purpose.',
          );
        return 0;
      }
      default:
        return usage(`unknown command "${command}"; use add, list or remove`);
    }
  } catch (err) {
    if (!(err instanceof KeyFileError)) throw err;
    io.err(err.message);
    return 1;
  }
}

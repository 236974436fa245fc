import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { ApiKeys, parsePlainKeys, plainKeyRecords, readKeyFile, type KeyRecord } from '../api/index.js';
import { ConfigError, type Config } from './config.js';

type KeySettings = Pick<Config, 'mode' | 'insecure' | 'apiKeysFile' | 'ingestApiKeys' | 'ingestApiKeysFile'>;

/**
 * The API keys of `--api-keys-file`, plus the plain `name:key` ingest keys of the settings kept from
 * before scoped keys (scope `ingest`). Services mode refuses to run without any key unless
 * `--insecure` says so; the embedded default runs open. A key file that is set but holds no key
 * (its last key removed, a new empty file) is refused in every mode unless `--insecure`: whoever set
 * it meant the API to need keys, and it would run open.
 */
export async function loadApiKeys(config: KeySettings): Promise<ApiKeys> {
  const records: KeyRecord[] = [];
  let fileHoldsNone = false;
  if (config.apiKeysFile !== '') {
    const fileKeys = await settingValue(
      '--api-keys-file',
      async () => (await readKeyFile(config.apiKeysFile)).keys,
    );
    fileHoldsNone = fileKeys.length === 0;
    records.push(...fileKeys);
  }
  records.push(...(await plainKeys('--ingest-api-keys', async () => config.ingestApiKeys)));
  if (config.ingestApiKeysFile !== '')
    records.push(
      ...(await plainKeys(`--ingest-api-keys-file ${config.ingestApiKeysFile}`, async () => {
        try {
          return await readFile(config.ingestApiKeysFile, 'utf8');
        } catch (err) {
          throw new Error(`cannot read ${config.ingestApiKeysFile}: ${(err as Error).message}`, {
            cause: err,
          });
        }
      })),
    );
  const keys = await settingValue('--api-keys-file and --ingest-api-keys*', async () => new ApiKeys(records));
  if (fileHoldsNone && !config.insecure)
    throw new ConfigError(
      `--api-keys-file / PW_API_KEYS_FILE: ${config.apiKeysFile} holds no API key` +
        (keys.size === 0 ? ', so the API would run open to whoever reaches it' : '') +
        `. Add one: pulsewatch keys add --file ${config.apiKeysFile} --name <name> --scopes admin; ` +
        (keys.size === 0
          ? `or, to run open on purpose, drop --api-keys-file${config.mode === 'services' ? ' and pass --insecure' : ''} ` +
            '(or pass --insecure)'
          : 'or drop --api-keys-file (or pass --insecure)'),
    );
  if (keys.size === 0 && config.mode === 'services' && !config.insecure)
    throw new ConfigError(
      `services mode needs API keys: set --api-keys-file / PW_API_KEYS_FILE to a key file with at least one key ` +
        `(pulsewatch keys add --file <file> --name <name> --scopes admin), or pass --insecure / PW_INSECURE=true ` +
        `to run open to whoever reaches it`,
    );
  return keys;
}

/** Says at start whether the API needs keys, so an open API is never a surprise. */
export function announceAccess(
  logger: Logger,
  config: Pick<Config, 'mode'> & Partial<Pick<Config, 'apiKeysFile'>>,
  keys: ApiKeys,
): void {
  if (keys.size > 0)
    logger.info({ keys: keys.names }, `the API needs a key: ${keys.size} API key(s) configured`);
  else if (config.apiKeysFile)
    logger.warn(
      `the API is open (--insecure): the key file ${config.apiKeysFile} holds no API key; anyone who reaches it can read and ingest. ` +
        `Add one with pulsewatch keys add --file ${config.apiKeysFile}`,
    );
  else if (config.mode === 'services')
    logger.warn(
      'the API is open (--insecure): anyone who reaches it can read and ingest; set --api-keys-file to require keys',
    );
  else
    logger.info(
      'the API is open: the embedded default needs no API key; set --api-keys-file to require keys',
    );
}

async function plainKeys(origin: string, text: () => Promise<string>): Promise<KeyRecord[]> {
  return settingValue(origin, async () => plainKeyRecords(parsePlainKeys(await text()), ['ingest']));
}

/** The value, or a ConfigError that names where it came from. */
async function settingValue<T>(origin: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    throw new ConfigError(`${origin}: ${(err as Error).message}`, { cause: err });
  }
}

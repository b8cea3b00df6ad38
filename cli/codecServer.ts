import { codecTokenFromEnvironment, EncryptionCodec, payloadKeyringFromEnvironment } from '../control/codec';
import { EnvironmentError, parseEnvironment, type Environment } from '../policies/common/environment';
import { startCodecServer, type CodecServer } from '../web/codecServer';
import { EXIT } from './errors';

export const DEFAULT_CODEC_PORT = 7281;

/** `maint codec-server`: decodes payloads for the Web UI and `temporal --codec-endpoint` until SIGINT/SIGTERM. */
export async function codecServerCommand(opts: { port: number; host: string; uiOrigin: string[]; allowEncode?: boolean }): Promise<number> {
  const env = parseEnvironment(process.env);
  const keyring = payloadKeyringFromEnvironment(env);
  if (!keyring) throw new EnvironmentError('maint codec-server decodes with MAINT_PAYLOAD_KEY (or MAINT_PAYLOAD_KEY_FILE): neither is set');
  const token = codecTokenFromEnvironment(env);
  if (token === undefined) throw new EnvironmentError('maint codec-server needs MAINT_CODEC_TOKEN (or MAINT_CODEC_TOKEN_FILE): the bearer token every request must carry');
  const server = await startCodecServer({ codec: new EncryptionCodec(keyring), port: opts.port, host: opts.host, token, origins: opts.uiOrigin, allowEncode: opts.allowEncode === true });
  process.stderr.write(`codec server on ${server.url} (POST /decode${opts.allowEncode ? ', /encode' : ''}; key id ${keyring.current.id}; CORS for ${opts.uiOrigin.join(', ')})\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return EXIT.ok;
}

/**
 * `maint dev`'s codec server for its own Web UI, when a payload key is set: on loopback, decode
 * only, CORS for that UI alone and no token (the dev UI has no login that could pass one; whoever
 * can reach loopback can read the dev database file too). Undefined without a key.
 */
export async function startDevCodecServer(env: Environment, uiPort: number): Promise<CodecServer | undefined> {
  const keyring = payloadKeyringFromEnvironment(env);
  if (!keyring) return undefined;
  return startCodecServer({ codec: new EncryptionCodec(keyring), port: 0, origins: [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`] });
}

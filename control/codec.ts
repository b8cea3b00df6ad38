/**
 * Payload encryption: every payload the worker and the clients write to Temporal (workflow and
 * activity inputs and results, signals, queries, updates, memos, schedule arguments, failure
 * messages) is sealed with AES-256-GCM under MAINT_PAYLOAD_KEY, in the format of Temporal's
 * encryption samples (`encoding: binary/encrypted`, `encryption-key-id`; data = 12-byte nonce,
 * ciphertext of the whole original Payload message, 16-byte tag), so their codec servers and
 * tools read it too.
 *
 * Decoding is strict: a payload that is not encrypted, or under a key this process does not hold,
 * or that fails authentication, is refused (PayloadRefusedError). That is what makes Temporal write
 * access no longer enough to drive the worker: a workflow started by a client without the key
 * fails its workflow task on the worker and never reaches an activity. Without a key configured
 * there is no codec at all: payloads are JSON in clear, as before.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { readEnvironmentFile } from './files';
import { EnvironmentError, isPayloadKey, PAYLOAD_KEY_EXPECTED, payloadKeyList, type Environment } from '../policies/common/environment';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A payload this process will not decode: not encrypted, under a key it does not hold, or tampered with. */
export class PayloadRefusedError extends Error {
  override readonly name = 'PayloadRefusedError';
}

export interface PayloadKey {
  /** Derived from the key (a truncated SHA-256), so an id never names the wrong key; safe to show. */
  id: string;
  key: Buffer;
}

/** The key that encrypts and, for rotation, the keys that only decrypt. */
export interface PayloadKeyring {
  current: PayloadKey;
  decryptOnly: PayloadKey[];
}

export function payloadKey(base64: string): PayloadKey {
  const key = Buffer.from(base64.trim(), 'base64');
  return { id: createHash('sha256').update('maint payload key\0').update(key).digest('hex').slice(0, 16), key };
}

const encoder = new TextEncoder();
const text = (bytes: Uint8Array | null | undefined): string | undefined => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/** Whether the payload is sealed by this codec's format (whatever the key). */
export function isEncrypted(payload: Payload): boolean {
  return text(payload.metadata?.[METADATA_ENCODING_KEY]) === ENCRYPTED_ENCODING;
}

export class EncryptionCodec implements PayloadCodec {
  private readonly keys: Map<string, Buffer>;

  constructor(private readonly keyring: PayloadKeyring) {
    this.keys = new Map([keyring.current, ...keyring.decryptOnly].map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keyring.current;
    return payloads.map((payload) => {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      const sealed = Buffer.concat([nonce, cipher.update(temporal.api.common.v1.Payload.encode(payload).finish()), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { [METADATA_ENCODING_KEY]: encoder.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: encoder.encode(id) }, data: sealed };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (!isEncrypted(payload)) {
        const encoding = text(payload.metadata?.[METADATA_ENCODING_KEY]);
        throw new PayloadRefusedError(
          `refused a payload that is not encrypted (encoding ${encoding ?? 'none'}): this process holds MAINT_PAYLOAD_KEY and accepts only what a holder of the key wrote; ` +
            'whoever wrote it (a client or worker without MAINT_PAYLOAD_KEY, or `temporal workflow start`) cannot start or drive work here',
        );
      }
      const keyId = text(payload.metadata?.[KEY_ID_METADATA]) ?? 'none';
      const key = this.keys.get(keyId);
      if (!key) {
        throw new PayloadRefusedError(
          `refused a payload encrypted under key id ${keyId}: this process holds key id ${this.keyring.current.id} (MAINT_PAYLOAD_KEY)` +
            `${this.keyring.decryptOnly.length > 0 ? ` and ${this.keyring.decryptOnly.map((k) => k.id).join(', ')} (MAINT_PAYLOAD_DECRYPT_KEYS)` : ''}; ` +
            'add the key that wrote it to MAINT_PAYLOAD_DECRYPT_KEYS',
        );
      }
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < NONCE_BYTES + TAG_BYTES) throw new PayloadRefusedError(`refused a payload under key id ${keyId}: too short to be one this codec sealed`);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, NONCE_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let clear: Buffer;
      try {
        clear = Buffer.concat([decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new PayloadRefusedError(`refused a payload under key id ${keyId}: it fails authentication (altered, or sealed by another key with this id)`);
      }
      return temporal.api.common.v1.Payload.decode(clear);
    });
  }
}

const readSecretText = (variable: string, path: string) => readEnvironmentFile(variable, path).toString('utf8');

/** The keyring the environment configures (MAINT_PAYLOAD_KEY[_FILE], MAINT_PAYLOAD_DECRYPT_KEYS[_FILE]); undefined without a key. */
export function payloadKeyringFromEnvironment(env: Environment): PayloadKeyring | undefined {
  let current = env.MAINT_PAYLOAD_KEY;
  if (current === undefined && env.MAINT_PAYLOAD_KEY_FILE !== undefined) {
    current = readSecretText('MAINT_PAYLOAD_KEY_FILE', env.MAINT_PAYLOAD_KEY_FILE).trim();
    if (!isPayloadKey(current)) throw new EnvironmentError(`MAINT_PAYLOAD_KEY_FILE=${env.MAINT_PAYLOAD_KEY_FILE}: ${PAYLOAD_KEY_EXPECTED}`);
  }
  if (current === undefined) return undefined;
  let others: string[] = [];
  if (env.MAINT_PAYLOAD_DECRYPT_KEYS !== undefined || env.MAINT_PAYLOAD_DECRYPT_KEYS_FILE !== undefined) {
    const list = payloadKeyList(env.MAINT_PAYLOAD_DECRYPT_KEYS ?? readSecretText('MAINT_PAYLOAD_DECRYPT_KEYS_FILE', env.MAINT_PAYLOAD_DECRYPT_KEYS_FILE!));
    if ('error' in list) throw new EnvironmentError(`MAINT_PAYLOAD_DECRYPT_KEYS_FILE=${env.MAINT_PAYLOAD_DECRYPT_KEYS_FILE}: ${list.error}`);
    others = list.keys;
  }
  const key = payloadKey(current);
  return { current: key, decryptOnly: others.map(payloadKey).filter((k) => k.id !== key.id) };
}

/** The data converter of a keyring: the codec, and failure messages encrypted with the payloads. */
export function encryptingDataConverter(keyring: PayloadKeyring): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(keyring)], failureConverterPath: require.resolve('./failureConverter') };
}

/**
 * `{ dataConverter }` for a Client or Worker as the environment configures it; `{}` without a key,
 * so everything stays as without encryption. Spread it into the options.
 */
export function dataConverterOption(env: Environment): { dataConverter?: DataConverter } {
  const keyring = payloadKeyringFromEnvironment(env);
  return keyring ? { dataConverter: encryptingDataConverter(keyring) } : {};
}

/** The bearer token of `maint codec-server` (MAINT_CODEC_TOKEN or the file MAINT_CODEC_TOKEN_FILE names); undefined when neither is set. */
export function codecTokenFromEnvironment(env: Environment): string | undefined {
  if (env.MAINT_CODEC_TOKEN !== undefined || env.MAINT_CODEC_TOKEN_FILE === undefined) return env.MAINT_CODEC_TOKEN;
  const token = readSecretText('MAINT_CODEC_TOKEN_FILE', env.MAINT_CODEC_TOKEN_FILE).trim();
  if (token.length < 16) throw new EnvironmentError(`MAINT_CODEC_TOKEN_FILE=${env.MAINT_CODEC_TOKEN_FILE}: expected a token of at least 16 characters, e.g. from \`openssl rand -hex 32\``);
  return token;
}

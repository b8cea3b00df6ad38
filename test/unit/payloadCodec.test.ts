import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { dataConverterOption, EncryptionCodec, payloadKey, payloadKeyringFromEnvironment, PayloadRefusedError } from '../../control/codec';
import { parseEnvironment } from '../../policies/common/environment';

const newKey = () => randomBytes(32).toString('base64');
const keyringOf = (vars: Record<string, string>) => payloadKeyringFromEnvironment(parseEnvironment(vars));

describe('payload encryption (AES-256-GCM codec)', () => {
  const key = newKey();
  const codec = new EncryptionCodec({ current: payloadKey(key), decryptOnly: [] });
  const clear = defaultPayloadConverter.toPayload({ host: 'web-1.acme.example', command: 'apt-get install -y openssl' });

  it('seals a payload in the format of Temporal\'s samples and opens it again', async () => {
    const [sealed] = await codec.encode([clear]);
    expect(Buffer.from(sealed!.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(Buffer.from(sealed!.metadata!['encryption-key-id']!).toString()).toBe(payloadKey(key).id);
    expect(Object.keys(sealed!.metadata!)).toEqual(['encoding', 'encryption-key-id']); // the original encoding is sealed too
    expect(Buffer.from(sealed!.data!).toString('latin1')).not.toContain('acme');
    const [opened] = await codec.decode([sealed!]);
    expect(defaultPayloadConverter.fromPayload(opened!)).toEqual({ host: 'web-1.acme.example', command: 'apt-get install -y openssl' });
    // A fresh nonce each time: the same value never seals to the same bytes.
    const [again] = await codec.encode([clear]);
    expect(Buffer.from(again!.data!).equals(Buffer.from(sealed!.data!))).toBe(false);
  });

  it('refuses a payload in clear, one under a key it does not hold, and one altered', async () => {
    await expect(codec.decode([clear])).rejects.toBeInstanceOf(PayloadRefusedError);
    await expect(codec.decode([clear])).rejects.toThrow(/refused a payload that is not encrypted \(encoding json\/plain\)/);
    const other = new EncryptionCodec({ current: payloadKey(newKey()), decryptOnly: [] });
    const [foreign] = await other.encode([clear]);
    await expect(codec.decode([foreign!])).rejects.toThrow(/refused a payload encrypted under key id [0-9a-f]{16}: this process holds key id [0-9a-f]{16} \(MAINT_PAYLOAD_KEY\); add the key that wrote it to MAINT_PAYLOAD_DECRYPT_KEYS/);
    const [sealed] = await codec.encode([clear]);
    const altered = Buffer.from(sealed!.data!);
    altered[20] = altered[20]! ^ 1;
    await expect(codec.decode([{ ...sealed!, data: altered }])).rejects.toThrow(/fails authentication/);
    // A forged key id does not help: the id is taken from the key's hash, the tag still fails.
    await expect(codec.decode([{ metadata: sealed!.metadata!, data: (await other.encode([clear]))[0]!.data! }])).rejects.toThrow(/fails authentication/);
  });

  it('rotates: the new key encrypts, the old one still decrypts what it sealed', async () => {
    const oldKey = key;
    const rotated = new EncryptionCodec({ current: payloadKey(newKey()), decryptOnly: [payloadKey(oldKey)] });
    const [old] = await codec.encode([clear]);
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([old!]))[0]!)).toMatchObject({ host: 'web-1.acme.example' });
    const [fresh] = await rotated.encode([clear]);
    expect(Buffer.from(fresh!.metadata!['encryption-key-id']!).toString()).not.toBe(payloadKey(oldKey).id);
  });

  it('reads keys from the environment or files; without one there is no codec at all', () => {
    expect(dataConverterOption(parseEnvironment({}))).toEqual({});
    const dir = mkdtempSync(join(tmpdir(), 'maint-keys-'));
    const [a, b, c] = [newKey(), newKey(), newKey()];
    writeFileSync(join(dir, 'key'), `${a}\n`);
    writeFileSync(join(dir, 'old'), `# rotated out 2026-01\n${b}\n\n${c}  # 2025\n`);
    const fromFiles = keyringOf({ MAINT_PAYLOAD_KEY_FILE: join(dir, 'key'), MAINT_PAYLOAD_DECRYPT_KEYS_FILE: join(dir, 'old') });
    expect(fromFiles?.current.id).toBe(payloadKey(a).id);
    expect(fromFiles?.decryptOnly.map((k) => k.id)).toEqual([payloadKey(b).id, payloadKey(c).id]);
    expect(keyringOf({ MAINT_PAYLOAD_KEY: a, MAINT_PAYLOAD_DECRYPT_KEYS: `${b}, ${a}` })?.decryptOnly.map((k) => k.id)).toEqual([payloadKey(b).id]);
    expect(dataConverterOption(parseEnvironment({ MAINT_PAYLOAD_KEY: a })).dataConverter?.payloadCodecs).toHaveLength(1);
  });

  it('names the variable that is wrong, and never the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'maint-keys-'));
    const short = randomBytes(16).toString('base64');
    const hex = randomBytes(32).toString('hex');
    const messageOf = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('expected an error');
    };
    const bad = messageOf(() => parseEnvironment({ MAINT_PAYLOAD_KEY: short }));
    expect(bad).toMatch(/MAINT_PAYLOAD_KEY: expected the base64 of 32 random bytes/);
    expect(bad).not.toContain(short);
    expect(messageOf(() => parseEnvironment({ MAINT_PAYLOAD_KEY: hex }))).not.toContain(hex);
    expect(messageOf(() => parseEnvironment({ MAINT_PAYLOAD_KEY: newKey(), MAINT_PAYLOAD_DECRYPT_KEYS: `${newKey()},${short}` }))).toMatch(/MAINT_PAYLOAD_DECRYPT_KEYS: key 2 of 2: expected the base64/);
    expect(messageOf(() => parseEnvironment({ MAINT_PAYLOAD_DECRYPT_KEYS: newKey() }))).toMatch(/MAINT_PAYLOAD_DECRYPT_KEYS: decryption keys need MAINT_PAYLOAD_KEY/);
    expect(messageOf(() => parseEnvironment({ MAINT_PAYLOAD_KEY: newKey(), MAINT_PAYLOAD_KEY_FILE: '/k' }))).toMatch(/MAINT_PAYLOAD_KEY_FILE: set MAINT_PAYLOAD_KEY or MAINT_PAYLOAD_KEY_FILE, not both/);
    expect(messageOf(() => parseEnvironment({ MAINT_CODEC_TOKEN: 'short' }))).toMatch(/MAINT_CODEC_TOKEN: expected at least 16 characters/);
    writeFileSync(join(dir, 'hex'), hex);
    const fromFile = messageOf(() => keyringOf({ MAINT_PAYLOAD_KEY_FILE: join(dir, 'hex') }));
    expect(fromFile).toMatch(/MAINT_PAYLOAD_KEY_FILE=.*hex: expected the base64 of 32 random bytes/);
    expect(fromFile).not.toContain(hex);
    expect(messageOf(() => keyringOf({ MAINT_PAYLOAD_KEY_FILE: join(dir, 'missing') }))).toMatch(/MAINT_PAYLOAD_KEY_FILE=.*missing: cannot read the file \(ENOENT\)/);
  });
});

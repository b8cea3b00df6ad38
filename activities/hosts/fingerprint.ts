import { createHash } from 'node:crypto';

/** The OpenSSH fingerprint of a raw public key blob: `SHA256:` + unpadded base64, as `ssh-keygen -lf` prints. */
export function sha256Fingerprint(publicKeyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicKeyBlob).digest('base64').replace(/=+$/, '')}`;
}

// A software WebAuthn authenticator for tests: an ES256 (P-256) key from node:crypto, attestation
// 'none', authenticatorData and clientDataJSON assembled byte by byte per WebAuthn Level 3 (6.1
// authenticator data, 6.5.1 attested credential data, 8.7 none attestation, 5.8.1 client data) and
// the COSE key per RFC 9053 (EC2, crv P-256). Nothing here comes from the library under test.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

const sha256 = (b: Buffer | string): Buffer => createHash('sha256').update(b).digest();
const b64u = (b: Buffer): string => b.toString('base64url');

/** CBOR (RFC 8949) heads: major type and length. */
function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 256) return Buffer.from([(major << 5) | 24, n]);
  return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
}
const text = (s: string): Buffer => Buffer.concat([head(3, Buffer.byteLength(s)), Buffer.from(s)]);
const bytes = (b: Buffer): Buffer => Buffer.concat([head(2, b.length), b]);

/** WebAuthn 6.1 flags. */
const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

export interface SoftAuthenticatorOptions { origin: string; rpId: string; userVerified?: boolean }

export class SoftAuthenticator {
  readonly credentialId = randomBytes(32);
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  signCount = 0;

  constructor(private readonly o: SoftAuthenticatorOptions) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
  }

  get id(): string { return b64u(this.credentialId); }

  /** The COSE_Key of the public key: {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}. */
  private coseKey(): Buffer {
    const jwk = this.publicKey.export({ format: 'jwk' });
    const x = Buffer.from(jwk.x!, 'base64url');
    const y = Buffer.from(jwk.y!, 'base64url');
    return Buffer.concat([Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21]), bytes(x), Buffer.from([0x22]), bytes(y)]);
  }

  private flags(attested: boolean): number {
    return UP | (this.o.userVerified === false ? 0 : UV) | (attested ? AT : 0);
  }

  private clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin = this.o.origin): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  private counter(): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(this.signCount);
    return b;
  }

  /** A RegistrationResponseJSON answering `challenge` (navigator.credentials.create()). */
  create(challenge: string, o: { origin?: string } = {}): Record<string, unknown> {
    const idLen = Buffer.alloc(2);
    idLen.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([sha256(this.o.rpId), Buffer.from([this.flags(true)]), this.counter(), Buffer.alloc(16), idLen, this.credentialId, this.coseKey()]);
    const attestationObject = Buffer.concat([Buffer.from([0xa3]), text('fmt'), text('none'), text('attStmt'), Buffer.from([0xa0]), text('authData'), bytes(authData)]);
    return {
      id: this.id, rawId: this.id, type: 'public-key', clientExtensionResults: {}, authenticatorAttachment: 'platform',
      response: { clientDataJSON: b64u(this.clientData('webauthn.create', challenge, o.origin)), attestationObject: b64u(attestationObject), transports: ['internal'] },
    };
  }

  /** An AuthenticationResponseJSON answering `challenge` (navigator.credentials.get()); the counter goes up first unless told not to. */
  get(challenge: string, o: { origin?: string; rpId?: string; keepCounter?: boolean } = {}): Record<string, unknown> {
    if (!o.keepCounter) this.signCount++;
    const authData = Buffer.concat([sha256(o.rpId ?? this.o.rpId), Buffer.from([this.flags(false)]), this.counter()]);
    const clientDataJSON = this.clientData('webauthn.get', challenge, o.origin);
    // WebAuthn 6.3.3 step 11: the signature is over authenticatorData || SHA-256(clientDataJSON); ES256 as DER (8.2 / RFC 3279)
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), this.privateKey);
    return {
      id: this.id, rawId: this.id, type: 'public-key', clientExtensionResults: {}, authenticatorAttachment: 'platform',
      response: { clientDataJSON: b64u(clientDataJSON), authenticatorData: b64u(authData), signature: b64u(signature) },
    };
  }
}

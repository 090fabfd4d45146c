/**
 * A stand-in for a remote KMS in the known-answer vectors: a provider whose key id is long and
 * opaque, that returns annotations, and that ignores the wrap's associated data (as a KMS v2
 * plugin may). Its "wrapped DEK" is the DEK XOR a fixed pad: no protection at all, only bytes a
 * second implementation can reproduce. It shows that the envelope, not the provider, binds the
 * key slot: a relabelled slot must fail on the slot MAC.
 */
import { createHash } from 'node:crypto';
import type {
  KekProvider,
  KeyRef,
  ProviderStatus,
  UnwrapRequest,
  WrapRequest,
  WrapResult,
} from '../../src/crypto/index.js';

const PAD = createHash('sha256').update('shroud test-kms pad').digest();

export const TEST_KMS_REF: KeyRef = {
  provider: 'test-kms',
  // Longer than the 128 characters v1 drafts allowed, with a space and non-ASCII: an opaque id.
  keyId: `projects/shroud-vectors/locations/europe-west1/keyRings/ring one/cryptoKeys/schlüssel/cryptoKeyVersions/7?${'x'.repeat(80)}`,
  version: 7,
  keyTag: createHash('sha256').update('shroud test-kms tag').digest().subarray(0, 16).toString('hex'),
};

export const TEST_KMS_ANNOTATIONS: Readonly<Record<string, Uint8Array>> = {
  'version.kms.test.example': Buffer.from('7', 'ascii'),
  'kms.test.example': Buffer.from([0x00, 0xff, 0x10]),
};

function xorPad(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.map((b, i) => b ^ PAD[i % PAD.length]!));
}

export class TestKmsProvider implements KekProvider {
  readonly id = TEST_KMS_REF.provider;

  async wrap(request: WrapRequest): Promise<WrapResult> {
    return { method: 'kek', ref: { ...TEST_KMS_REF }, annotations: TEST_KMS_ANNOTATIONS, wrapped: xorPad(request.dek) };
  }

  /** Ignores the key reference, the annotations and the context, as a careless KMS would. */
  async unwrap(request: UnwrapRequest): Promise<Uint8Array> {
    return xorPad(request.slot.wrapped);
  }

  async status(): Promise<ProviderStatus> {
    return { provider: this.id, healthy: true, primary: { ...TEST_KMS_REF }, versions: [] };
  }
}

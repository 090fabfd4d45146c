/** PKCS#11 tokens (HSMs, cloud HSMs, SoftHSM2) as the `pkcs11` KEK provider, through pkcs11js (loaded only when used). */
export {
  isValidKeyLabel,
  openPkcs11Provider,
  PKCS11_PROVIDER_ID,
  type Pkcs11Health,
  Pkcs11Provider,
  type Pkcs11ProviderOptions,
} from './pkcs11-provider.js';
export { describeToken, type TokenSelector } from './session-pool.js';

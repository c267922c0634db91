// Verifies a key-based Sigstore bundle offline with Sigstore's own libraries (no transparency log, no timestamp):
//   node verify.js <bundle.json> <artifact> <public-key.pem> <key id>
// Prints "verified" and exits 0, or prints the verifier's error and exits 1.
const fs = require('fs');
const crypto = require('crypto');
const { bundleFromJSON } = require('@sigstore/bundle');
const { toSignedEntity, Verifier } = require('@sigstore/verify');

const [bundlePath, artifactPath, publicKeyPath, keyId] = process.argv.slice(2);
try {
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const entity = toSignedEntity(bundle, fs.readFileSync(artifactPath));
  const key = crypto.createPublicKey(fs.readFileSync(publicKeyPath));
  const trust = {
    certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [],
    publicKey: (hint) => {
      if (hint !== keyId) throw new Error(`the bundle names key ${hint}, not ${keyId}`);
      return { publicKey: key, validFor: () => true };
    },
  };
  new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(entity);
  console.log('verified');
} catch (error) {
  console.log(`${error.name}: ${error.message}`);
  process.exit(1);
}
